// graphql-ws's own client (the reference graphql-transport-ws client).
//
//   node subscribe.mjs <ws-url>[,<ws-url>…] <bearer-token> <query> <events>
//
// Prints one JSON line per happening: {"connected": true} once the server
// acknowledged, {"next": payload} per event, {"error": ...}, and
// {"closed": {code, reason}} when the socket closes; exits after <events>
// events or a close.
//
// With several URLs (replicas, as a load balancer would spread them) it
// follows instead: a lost connection is retried at the next URL, as
// graphql-ws retries (the subscription is sent again), and each
// acknowledgement prints {"connected": true, "url": …}; a close does not
// end it.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [urls, token, query, wanted] = process.argv.slice(2);
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n');
const replicas = urls.split(',');
const follow = replicas.length > 1;
let attempt = 0;
let current = replicas[0];

const client = createClient({
  url: () => {
    current = replicas[attempt++ % replicas.length];
    return current;
  },
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  lazy: false,
  retryAttempts: follow ? 20 : 0,
  shouldRetry: () => follow,
  retryWait: () => new Promise((resolve) => setTimeout(resolve, 250)),
  on: {
    connected: () => say(follow ? { connected: true, url: current } : { connected: true }),
    closed: (event) => {
      say({ closed: { code: event.code, reason: event.reason } });
      if (!follow) {
        process.exit(0);
      }
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
