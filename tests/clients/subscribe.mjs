// graphql-ws's own client (the reference graphql-transport-ws client).
//
//   node subscribe.mjs <ws-url> <bearer-token> <query> <events>
//
// Prints one JSON line per happening: {"connected": true} once the server
// acknowledged, {"next": payload} per event, {"error": ...}, and
// {"closed": {code, reason}} when the socket closes; exits after <events>
// events or a close.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, query, wanted] = process.argv.slice(2);
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  lazy: false,
  retryAttempts: 0,
  on: {
    connected: () => say({ connected: true }),
    closed: (event) => {
      say({ closed: { code: event.code, reason: event.reason } });
      process.exit(0);
    },
  },
});

let seen = 0;
client.subscribe(
  { query },
  {
    next: (payload) => {
      say({ next: payload });
      seen += 1;
      if (seen >= Number(wanted)) {
        client.dispose();
        process.exit(0);
      }
    },
    error: (error) => say({ error: error?.message ?? String(error) }),
    complete: () => say({ complete: true }),
  },
);
