//! GraphiQL for operators, with a header editor for pasting a token.

use axum::response::Html;

/// The GraphiQL page. Its scripts come from a public CDN for now, so it
/// needs internet access in the browser (serving them from the gateway is
/// part of the operator-login work). Versions are pinned and checked by
/// subresource integrity, so a changed file on the CDN is refused rather
/// than run where operators paste tokens.
pub async fn page() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>switchboard GraphiQL</title>
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
  <link rel="stylesheet" href="https://unpkg.com/graphiql@3.8.2/graphiql.min.css"
    integrity="sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM" crossorigin="anonymous">
</head>
<body>
  <div id="graphiql">Loading GraphiQL… Paste a token from <code>switchboard token EMAIL</code> into the Headers tab as
  <code>{"Authorization": "Bearer …"}</code>.</div>
  <script src="https://unpkg.com/react@18.3.1/umd/react.production.min.js"
    integrity="sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z" crossorigin="anonymous"></script>
  <script src="https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js"
    integrity="sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1" crossorigin="anonymous"></script>
  <script src="https://unpkg.com/graphiql@3.8.2/graphiql.min.js"
    integrity="sha384-WbG8FxjKLHIn8rXXIkCk98zN52bWTZvZROLPcuKUa+nOhbZwMjh1lLFAHVvV9VUc" crossorigin="anonymous"></script>
  <script>
    const url = new URL('/graphql', window.location.href).toString();
    const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl: url.replace(/^http/, 'ws') });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultHeaders: '{"Authorization": "Bearer PASTE_TOKEN_HERE"}',
        headerEditorEnabled: true,
        shouldPersistHeaders: false,
      }),
    );
  </script>
</body>
</html>
"#;
