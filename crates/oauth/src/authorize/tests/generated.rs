//! Generated authorization requests (a seeded generator, so a failure names its seed and
//! reproduces): whatever the parameters say, parsing and the decision answer an outcome,
//! never a panic, and never send the browser to a URI the client did not register.

use super::*;

/// xorshift64*: enough spread for parameter soup, and the same sequence for the same seed.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[usize::try_from(self.next() % from.len() as u64).unwrap()]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Numbers at and around every width a parser or `chrono` may overflow at.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "+1",
    "60",
    "2147483647",
    "2147483648",
    "4294967296",
    "9223372036854",
    "9223372036854775",
    "9223372036854776",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "18446744073709551616",
    "99999999999999999999999999",
    "1e9",
    "0x10",
    " 5",
    "",
];

const TEXT: &[&str] = &[
    "",
    "x",
    "%00",
    "%FF%FE",
    "%E2%80%AE",
    "a%20b",
    "%25",
    "&",
    "=",
    "\u{1F600}",
    "openid",
    "openid+profile+email+offline_access",
    "code",
    "code+id_token",
    "id_token+token",
    "token",
    "none",
    "login+consent",
    "none+login",
    "select_account",
    "query",
    "fragment",
    "form_post",
    "S256",
    "plain",
    "%7B%7D",
    "%7B%22userinfo%22%3A%7B%22email%22%3Anull%7D%7D",
    "%5B%5D",
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
];

const NAMES: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "id_token_hint",
    "login_hint",
    "ui_locales",
    "acr_values",
    "claims",
    "display",
    "response_mode",
    "request",
    "request_uri",
    "unknown",
];

fn value(g: &mut Gen, w: &World, name: &str) -> String {
    let numeric = matches!(name, "max_age") || g.chance(15);
    match name {
        _ if numeric => g.pick(NUMBERS).to_owned(),
        "client_id" if g.chance(80) => {
            if g.chance(50) {
                w.spa.client_id.to_string()
            } else {
                w.rp.0.client_id.to_string()
            }
        }
        "redirect_uri" if g.chance(70) => g
            .pick(&[
                CB,
                "https://rp.test/cb/",
                "https://evil.test/cb",
                "http://127.0.0.1:9/cb",
            ])
            .to_owned(),
        "code_challenge" if g.chance(70) => CHALLENGE.to_owned(),
        _ => g.pick(TEXT).to_owned(),
    }
}

fn query(g: &mut Gen, w: &World) -> String {
    let mut pairs = Vec::new();
    // Mostly a plausible request, so the decision is reached, with a few parameters varied.
    if g.chance(80) {
        pairs.push(w.spa_query("").trim_start_matches('&').to_owned());
    }
    for _ in 0..(g.next() % 6) {
        let name = g.pick(NAMES);
        pairs.push(format!("{name}={}", value(g, w, name)));
    }
    if g.chance(90) {
        pairs.push(format!("max_age={}", g.pick(NUMBERS)));
    }
    pairs.join("&")
}

#[tokio::test]
async fn generated_authorize_requests_never_panic_nor_leave_the_registered_uri() {
    let w = world().await;
    let seed = std::env::var("KEYWARD_GENERATOR_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_0A17_u64);
    let mut g = Gen(seed | 1);
    for round in 0..600 {
        let q = query(&mut g, &w);
        let subject = g.chance(70).then(|| w.subject());
        let outcome = w.go(&q, subject.as_ref()).await;
        if let AuthorizeOutcome::RedirectToClient { uri, .. } = &outcome {
            assert_eq!(uri, CB, "seed {seed} round {round}: {q}");
        }
    }
}
