//! Sign-in throttling under real concurrency, on every backend (SQLite + memory, PostgreSQL +
//! Redis): a burst of attempts sent at once is checked no more often than the limits allow
//! (the attempt is reserved before Argon2 runs); the password-hashing queue is bounded and
//! fair between tenants (a full queue refuses at once, another tenant still signs in); and an
//! address's failures count per tenant.

use futures::future::join_all;
use serde_json::Value;

use crate::app::{Options, TestApp};
use crate::page_client::{Browser, Page};
use crate::server::Creds;

/// The built-in limits: failures per username and per address in 15 minutes.
const PER_USER: usize = 10;
const PER_ADDRESS: usize = 100;
/// Device-code look-ups per address and tenant.
const DEVICE_LOOKUPS: usize = 30;

/// How a password-grant attempt was answered.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// 200: the password was checked and right.
    SignedIn,
    /// 400 `invalid username or password`: checked and wrong.
    Refused,
    /// 400 `too many failed attempts`: refused before any check.
    Throttled,
    /// 503 `temporarily_unavailable` with `Retry-After`: the hashing queue is full.
    Busy,
}

async fn password_grant(app: &TestApp, creds: &Creds, username: &str, password: &str) -> Answer {
    let res = app
        .post(
            "demo",
            "token",
            Some(creds),
            &[
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
            ],
        )
        .await;
    let status = res.status().as_u16();
    let retry_after = res.headers().contains_key("retry-after");
    let body: Value = res.json().await.unwrap();
    let described = body["error_description"].as_str().unwrap_or_default();
    match (status, body["error"].as_str()) {
        (200, _) => Answer::SignedIn,
        (400, Some("invalid_grant")) if described == "invalid username or password" => {
            Answer::Refused
        }
        (400, Some("invalid_grant")) if described.contains("too many") => Answer::Throttled,
        (503, Some("temporarily_unavailable")) if retry_after => Answer::Busy,
        _ => panic!("{}: unexpected answer {status} {body}", app.backend),
    }
}

fn count(answers: &[Answer], which: &Answer) -> usize {
    answers.iter().filter(|a| *a == which).count()
}

/// The sign-in form of `tenant` (no interaction) as `browser` sees it; answers its CSRF token.
async fn login_form(app: &TestApp, browser: &Browser, tenant: &str) -> String {
    let form = browser.get(&format!("{}/login", app.issuer(tenant))).await;
    assert_eq!(form.status, 200, "{}", form.body);
    form.hidden("csrf_token")
}

async fn sign_in(
    app: &TestApp,
    browser: &Browser,
    tenant: &str,
    csrf: &str,
    username: &str,
    password: &str,
) -> Page {
    browser
        .post(
            &format!("{}/login", app.issuer(tenant)),
            &[
                ("csrf_token", csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
}

/// A hashing queue that takes a whole burst, so that only the throttle can stop it.
fn roomy_queue() -> Options {
    Options::dev()
        .var("KEYWARD_PASSWORD_HASH_QUEUE", "1000")
        .var("KEYWARD_PASSWORD_HASH_QUEUE_PER_TENANT", "1000")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_password_grants_checks_no_more_passwords_than_the_user_limit() {
    for app in TestApp::every_backend(roomy_queue()).await {
        let legacy = app.demo_client("Demo legacy");
        let answers =
            join_all((0..150).map(|_| password_grant(&app, &legacy, "demo", "a wrong guess")))
                .await;
        let checked = count(&answers, &Answer::Refused);
        assert_eq!(
            (checked, count(&answers, &Answer::Throttled)),
            (PER_USER, 150 - PER_USER),
            "{}: of 150 concurrent wrong passwords, {checked} were checked (limit {PER_USER})",
            app.backend,
        );
        // The right password, after the burst: the guesses used the user's budget up.
        assert_eq!(
            password_grant(&app, &legacy, "demo", "demo-password").await,
            Answer::Throttled,
            "{}",
            app.backend
        );
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_page_sign_ins_checks_no_more_passwords_than_the_address_limit() {
    for app in TestApp::every_backend(roomy_queue()).await {
        let browser = Browser::new();
        let csrf = login_form(&app, &browser, "demo").await;
        let usernames: Vec<String> = (0..250).map(|i| format!("nobody-{i}")).collect();
        let pages = join_all(
            usernames
                .iter()
                .map(|user| sign_in(&app, &browser, "demo", &csrf, user, "a guess")),
        )
        .await;
        let status = |code: u16| pages.iter().filter(|p| p.status == code).count();
        let checked = status(401);
        assert_eq!(
            (checked, status(429)),
            (PER_ADDRESS, 250 - PER_ADDRESS),
            "{}: of 250 concurrent anonymous sign-ins, {checked} were checked (limit {PER_ADDRESS})",
            app.backend,
        );
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_device_code_look_ups_is_throttled_at_the_limit() {
    for app in TestApp::every_backend(Options::dev()).await {
        let browser = Browser::new();
        let url = format!("{}/device", app.issuer("demo"));
        let form = browser.get(&url).await;
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = form.hidden("csrf_token");
        let codes: Vec<String> = (0..80).map(|i| format!("BCDF-{:04}", i)).collect();
        let pages = join_all(codes.iter().map(|code| {
            let (browser, url, csrf) = (&browser, &url, &csrf);
            async move {
                browser
                    .post(url, &[("csrf_token", csrf), ("user_code", code)])
                    .await
            }
        }))
        .await;
        let looked_up = pages.iter().filter(|p| p.status == 400).count();
        let throttled = pages.iter().filter(|p| p.status == 429).count();
        assert_eq!(
            (looked_up, throttled),
            (DEVICE_LOOKUPS, 80 - DEVICE_LOOKUPS),
            "{}: look-ups beyond the limit are refused unchecked",
            app.backend
        );
        app.cleanup().await;
    }
}

/// A tiny hashing queue: two hashes in flight per tenant, four in all.
fn tiny_queue() -> Options {
    Options::dev()
        .var("KEYWARD_PASSWORD_HASH_QUEUE", "4")
        .var("KEYWARD_PASSWORD_HASH_QUEUE_PER_TENANT", "2")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_hashing_queue_refuses_at_once_and_another_tenant_still_signs_in() {
    for app in TestApp::every_backend(tiny_queue()).await {
        app.tenant("acme").await;
        app.user("acme", "ada", "correct horse battery").await;
        let legacy = app.demo_client("Demo legacy");
        // Distinct usernames: the per-user throttle does not stop them, the queue must.
        let usernames: Vec<String> = (0..60).map(|i| format!("flood-{i}")).collect();
        let flood = join_all(
            usernames
                .iter()
                .map(|user| password_grant(&app, &legacy, user, "a guess")),
        );
        let legit = async {
            let mut outcomes = Vec::new();
            for _ in 0..3 {
                let browser = Browser::new();
                let csrf = login_form(&app, &browser, "acme").await;
                let page = sign_in(
                    &app,
                    &browser,
                    "acme",
                    &csrf,
                    "ada",
                    "correct horse battery",
                )
                .await;
                outcomes.push(page.status);
            }
            outcomes
        };
        let (answers, legit) = tokio::join!(flood, legit);
        assert!(
            count(&answers, &Answer::Busy) > 0,
            "{}: a full queue answers 503 temporarily_unavailable with Retry-After; got {} refused, {} throttled",
            app.backend,
            count(&answers, &Answer::Refused),
            count(&answers, &Answer::Throttled),
        );
        assert_eq!(count(&answers, &Answer::SignedIn), 0);
        assert_eq!(
            legit,
            [200, 200, 200],
            "{}: acme signs in while demo's queue is full",
            app.backend
        );
        app.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_hashing_queue_answers_the_sign_in_page_with_a_readable_503() {
    let app = TestApp::embedded(tiny_queue()).await;
    let browser = Browser::new();
    let csrf = login_form(&app, &browser, "demo").await;
    let usernames: Vec<String> = (0..60).map(|i| format!("flood-{i}")).collect();
    let pages = join_all(
        usernames
            .iter()
            .map(|user| sign_in(&app, &browser, "demo", &csrf, user, "a guess")),
    )
    .await;
    let busy: Vec<&Page> = pages.iter().filter(|p| p.status == 503).collect();
    assert!(!busy.is_empty(), "a full queue refuses sign-ins at once");
    for page in busy {
        assert!(!page.header("retry-after").is_empty());
        assert!(
            page.body.contains("Too many sign-ins"),
            "a readable page: {}",
            page.body
        );
    }
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_address_throttled_at_one_tenant_still_signs_in_at_another() {
    for app in TestApp::every_backend(Options::dev()).await {
        app.tenant("acme").await;
        app.user("acme", "ada", "correct horse battery").await;
        let browser = Browser::new();
        let csrf = login_form(&app, &browser, "demo").await;
        // The address's failures at demo, in small batches so the queue takes them all.
        let usernames: Vec<String> = (0..PER_ADDRESS).map(|i| format!("nobody-{i}")).collect();
        for batch in usernames.chunks(5) {
            let pages = join_all(
                batch
                    .iter()
                    .map(|user| sign_in(&app, &browser, "demo", &csrf, user, "a guess")),
            )
            .await;
            assert!(pages.iter().all(|p| p.status == 401), "{}", app.backend);
        }
        let throttled = sign_in(&app, &browser, "demo", &csrf, "demo", "demo-password").await;
        assert_eq!(throttled.status, 429, "{}: throttled at demo", app.backend);
        let acme_csrf = login_form(&app, &browser, "acme").await;
        let elsewhere = sign_in(
            &app,
            &browser,
            "acme",
            &acme_csrf,
            "ada",
            "correct horse battery",
        )
        .await;
        assert_eq!(
            elsewhere.status, 200,
            "{}: demo's failures do not lock the address out of acme: {}",
            app.backend, elsewhere.body
        );
        app.cleanup().await;
    }
}
