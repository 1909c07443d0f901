//! GraphQL over HTTP against the running server: media types, status codes,
//! GET rules, batching, authentication, limits and malformed input.

mod common;

use common::{Gateway, PRIMARY_A};
use serde_json::{Value, json};

async fn raw(gw: &Gateway, builder: reqwest::RequestBuilder) -> (u16, String, Value) {
    let _ = gw;
    let response = builder.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, content_type, body)
}

async fn content_negotiation_and_status_codes(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let url = format!("{}/graphql", gw.base);
    let good = json!({ "query": "{ me { name } }" });
    let bad = json!({ "query": "{ me { name " });
    let invalid = json!({ "query": "{ me { noSuchField } }" });

    let (status, ct, body) = raw(
        &gw,
        gw.http
            .post(&url)
            .bearer_auth(&token)
            .header("accept", "application/graphql-response+json")
            .json(&good),
    )
    .await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/graphql-response+json"), "{ct}");
    assert_eq!(body["data"]["me"]["name"], "Pat Primary");

    let (status, ct, body) = raw(
        &gw,
        gw.http
            .post(&url)
            .bearer_auth(&token)
            .header("accept", "application/json")
            .json(&good),
    )
    .await;
    assert_eq!((status, ct.starts_with("application/json")), (200, true));
    assert_eq!(body["data"]["me"]["name"], "Pat Primary");

    // Parse and validation errors: 400 without `data` under graphql-response+json ...
    for request in [&bad, &invalid] {
        let (status, ct, body) = raw(
            &gw,
            gw.http
                .post(&url)
                .bearer_auth(&token)
                .header("accept", "application/graphql-response+json")
                .json(request),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(ct.starts_with("application/graphql-response+json"));
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
    // ... and 200 under application/json.
    let (status, _, body) = raw(
        &gw,
        gw.http
            .post(&url)
            .bearer_auth(&token)
            .header("accept", "application/json")
            .json(&invalid),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    // Neither JSON type accepted.
    let (status, _, _) = raw(
        &gw,
        gw.http
            .post(&url)
            .bearer_auth(&token)
            .header("accept", "text/html")
            .json(&good),
    )
    .await;
    assert_eq!(status, 406);
}

async fn get_is_for_queries_only(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let url = format!("{}/graphql", gw.base);
    let (status, _, body) = raw(
        &gw,
        gw.http
            .get(&url)
            .bearer_auth(&token)
            .query(&[("query", "{ me { email } }")]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["me"]["email"], PRIMARY_A);

    let (status, _, body) = raw(
        &gw,
        gw.http.get(&url).bearer_auth(&token).query(&[
            (
                "query",
                "query Q($n: String!) { case(number: $n) { number } }",
            ),
            ("variables", "{\"n\": \"CS00000000000\"}"),
        ]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");

    let mutation = "mutation { cancelCase(caseId: \"1\") { number } }";
    let response = gw
        .http
        .get(&url)
        .bearer_auth(&token)
        .query(&[("query", mutation)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert!(response.headers().get("allow").is_some());
    let before: Value = gw
        .data(&token, "{ case(id: \"1\") { state } }", json!({}))
        .await;
    let _ = before;
}

async fn batches_are_off_by_default(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let (status, _, body) = raw(
        &gw,
        gw.http
            .post(format!("{}/graphql", gw.base))
            .bearer_auth(&token)
            .json(&json!([{ "query": "{ me { name } }" }, { "query": "{ me { email } }" }])),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

async fn authentication_is_required(gw: Gateway) {
    let url = format!("{}/graphql", gw.base);
    let query = json!({ "query": "{ me { name } }" });
    let (status, _, body) = raw(&gw, gw.http.post(&url).json(&query)).await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let (status, _, _) = raw(
        &gw,
        gw.http.post(&url).bearer_auth("not.a.token").json(&query),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _, _) = raw(&gw, gw.http.get(format!("{}/exports/cases.csv", gw.base))).await;
    assert_eq!(status, 401);
    let (status, _, _) = raw(&gw, gw.http.get(format!("{}/attachments/1", gw.base))).await;
    assert_eq!(status, 401);
    // Health checks need no token.
    assert_eq!(
        gw.http
            .get(format!("{}/healthz", gw.base))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        gw.http
            .get(format!("{}/readyz", gw.base))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    // GraphiQL is served without a token (the token goes in its headers
    // editor), once its files are installed (tests/graphiql_login.rs).
    let installed = std::path::Path::new("web/graphiql/node_modules/graphiql").exists();
    let page = gw
        .http
        .get(format!("{}/graphiql", gw.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), if installed { 200 } else { 503 });
    let html = page.text().await.unwrap();
    assert!(
        html.contains("GraphiQL") && (!installed || html.contains("integrity=\"sha384-")),
        "{html}"
    );
    let jwks: Value = gw
        .http
        .get(format!("{}/.well-known/jwks.json", gw.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["alg"], "EdDSA");
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "the private key must not be published"
    );
}

async fn malformed_requests_get_clear_errors(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let url = format!("{}/graphql", gw.base);
    let post = || {
        gw.http
            .post(&url)
            .bearer_auth(&token)
            .header("accept", "application/graphql-response+json")
    };

    let (status, _, body) = raw(
        &gw,
        post()
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("JSON"),
        "{body}"
    );

    let (status, _, _) = raw(
        &gw,
        post()
            .header("content-type", "text/plain")
            .body("{ me { name } }"),
    )
    .await;
    assert_eq!(status, 415);

    // Variables of the wrong type.
    let (status, _, body) = raw(
        &gw,
        post().json(&json!({ "query": "query ($f: Int) { cases(first: $f) { totalCount } }", "variables": { "f": "many" } })),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    // An operation name that is not in the document.
    let (status, _, body) = raw(
        &gw,
        post().json(&json!({ "query": "query A { me { name } }", "operationName": "B" })),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    // Too large a body.
    let huge = "x".repeat(2 * 1024 * 1024);
    let (status, _, body) = raw(
        &gw,
        post().json(&json!({ "query": "{ me { name } }", "variables": { "pad": huge } })),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE");
}

async fn limits_hold(gw: Gateway) {
    let token = gw.token(PRIMARY_A).await;
    let code = gw
        .error_code(&token, "{ cases(first: 101) { totalCount } }", json!({}))
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
    let (_, body) = gw
        .post(&token, "{ cases(first: 101) { totalCount } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "first");

    let aliases: String = (0..40).map(|i| format!("a{i}: me {{ name }} ")).collect();
    let (status, body) = gw
        .post(&token, &format!("{{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("aliases")
    );

    // Filter lists and searches are bounded, in GraphQL and in the export alike.
    let ids: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    let (_, body) = gw
        .post(
            &token,
            "query($ids: [ID!]) { cases(filter: { locationIds: $ids }) { totalCount } }",
            json!({ "ids": ids }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "filter.locationIds",
        "{body}"
    );
    let long_search = json!({ "text": "a b c d e f g h i j k l" }).to_string();
    let response = gw
        .http
        .get(format!("{}/exports/cases.csv", gw.base))
        .query(&[("filter", long_search.as_str())])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);

    // Nested lists multiply: 100 cases with 100 activity entries each is refused.
    let fan_out = "{ cases(first: 100) { nodes { activity(first: 100) { nodes { id body author createdAt } } } } }";
    let (status, body) = gw.post(&token, fan_out, json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("complex"),
        "{body}"
    );

    let deep = "{ cases { edges { node { latestActivity { case { latestActivity { case { latestActivity { case { latestActivity { case { latestActivity { case { number } } } } } } } } } } } } } }";
    let (status, body) = gw.post(&token, deep, json!({})).await;
    assert_eq!(status, 400, "{body}");
}

on_both_backends!(
    content_negotiation_and_status_codes,
    get_is_for_queries_only,
    batches_are_off_by_default,
    authentication_is_required,
    malformed_requests_get_clear_errors,
    limits_hold,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_can_be_turned_off() {
    let introspect = "{ __schema { queryType { name } } }";
    let on = common::start(common::Backend::Sqlite).await.unwrap();
    let token = on.token(PRIMARY_A).await;
    let data = on.data(&token, introspect, json!({})).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");

    let off = common::start_with(common::Backend::Sqlite, |c| {
        c.server.introspection = Some(switchboard::config::Access::Off)
    })
    .await
    .unwrap();
    let token = off.token(PRIMARY_A).await;
    let (_, body) = off.post(&token, introspect, json!({})).await;
    assert!(
        body["data"]["__schema"].is_null(),
        "introspection answered: {body}"
    );
    assert_eq!(
        off.data(&token, "{ me { name } }", json!({})).await["me"]["name"],
        "Pat Primary"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_requests_are_stopped() {
    let gw = common::start_with(common::Backend::Sqlite, |c| {
        c.server.request_timeout_ms = 1;
        c.limits.max_complexity = 1_000_000;
    })
    .await
    .unwrap();
    let token = gw.token(PRIMARY_A).await;
    // Thirty full-page searches: far more than a millisecond of work.
    let searches: String = (0..30)
        .map(|i| format!("s{i}: search(text: \"a e i o u\", first: 100) {{ totalCount nodes {{ number location {{ name }} contact {{ name }} }} }} "))
        .collect();
    let (status, body) = gw
        .post(&token, &format!("{{ {searches} }}"), json!({}))
        .await;
    assert_eq!(status, 504, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "BACKEND_UNAVAILABLE"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("longer than")
    );
    // The gateway still answers afterwards.
    assert_eq!(
        gw.http
            .get(format!("{}/healthz", gw.base))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_bombs_are_refused_with_a_clear_error() {
    let gw = common::start(common::Backend::Sqlite).await.unwrap();
    let token = gw.token(PRIMARY_A).await;
    // The shape tools send: nine ofType levels under fields and args.
    let type_ref = (0..9).fold("kind name".to_string(), |inner, _| {
        format!("kind name ofType {{ {inner} }}")
    });
    let standard = format!(
        "{{ __schema {{ types {{ name fields(includeDeprecated: true) {{ name \
         args(includeDeprecated: true) {{ name type {{ {type_ref} }} }} type {{ {type_ref} }} }} }} }} }}"
    );
    let data = gw.data(&token, &standard, json!({})).await;
    assert!(data["__schema"]["types"].as_array().unwrap().len() > 50);

    let chain = (0..40).fold("name".to_string(), |inner, _| {
        format!("ofType {{ {inner} }}")
    });
    let fan_out =
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    let aliases: String = (0..11)
        .map(|i| format!("t{i}: __type(name: \"Case\") {{ name }} "))
        .collect();
    for (bomb, says) in [
        (
            format!("{{ __type(name: \"Case\") {{ {chain} }} }}"),
            "nests 42 fields deep",
        ),
        (fan_out.to_string(), "possibleTypes 3 deep"),
        (
            format!("{{ {aliases} }}"),
            "introspection (__schema, __type) 11 times",
        ),
    ] {
        let (status, body) = gw.post(&token, &bomb, json!({})).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
    }
}

/// A multipart body as a browser's `FormData` writes it, with `boundary`.
fn form_data(boundary: &str, case_id: &str, file: &[u8]) -> Vec<u8> {
    let operations = json!({
        "query": "mutation ($caseId: ID!, $file: Upload!) { addCaseAttachment(caseId: $caseId, file: $file) { id fileName downloadUrl } }",
        "variables": { "caseId": case_id, "file": null },
    });
    let mut body = Vec::new();
    for (name, value) in [
        ("operations", operations.to_string()),
        ("map", json!({ "0": ["variables.file"] }).to_string()),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"trace.txt\"\r\n\
             Content-Type: text/plain\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_keep_the_boundary_as_browsers_write_it() {
    let gw = common::start(common::Backend::Sqlite).await.unwrap();
    let token = gw.token(PRIMARY_A).await;
    let (case_id, _) = gw.open_case(&token).await;
    for boundary in [
        // Chromium and Safari.
        "----WebKitFormBoundary7MA4YWxkTrZu0gW",
        // Firefox.
        "---------------------------735323031399963166993862150",
    ] {
        let file = format!("uploaded with {boundary}\n").into_bytes();
        let response = gw
            .http
            .post(format!("{}/graphql", gw.base))
            .bearer_auth(&token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(form_data(boundary, &case_id, &file))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{boundary}: {body}");
        let url = body["data"]["addCaseAttachment"]["downloadUrl"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_string();
        let back = gw.http.get(url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(back.status().as_u16(), 200);
        assert_eq!(back.bytes().await.unwrap().as_ref(), file.as_slice());
    }
}
