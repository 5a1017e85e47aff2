//! Command-line arguments and their validation into a [`Config`] ("parse, don't validate"):
//! everything after this module can rely on a well-formed, bounded, loopback-only run.

use std::net::IpAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use url::Url;

/// The longest run the tool accepts: a benchmark here must stop by itself.
pub const MAX_DURATION: Duration = Duration::from_secs(3600);
/// The longest warm-up the tool accepts.
pub const MAX_WARMUP: Duration = Duration::from_secs(600);
/// The most concurrent workers.
pub const MAX_CONCURRENCY: usize = 4096;
/// The largest introspection token pool.
pub const MAX_TOKEN_POOL: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// RFC 6749 §4.4: POST token endpoint, grant_type=client_credentials.
    ClientCredentials,
    /// RFC 7662: POST introspection endpoint with tokens from a client_credentials pool.
    Introspection,
    /// RFC 6749 §6: rotate refresh tokens obtained once per worker with the password grant.
    Refresh,
    /// GET the discovery document and the JWKS, alternately.
    DiscoveryJwks,
    /// A whole browser sign-in on Keyward's hosted pages, each with a fresh cookie jar:
    /// authorize → login form (scraped) → credentials → resume → code → token (PKCE S256).
    /// Keyward-specific: the other scenarios use standard endpoints only.
    FullLogin,
}

impl Scenario {
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::ClientCredentials => "client-credentials",
            Scenario::Introspection => "introspection",
            Scenario::Refresh => "refresh",
            Scenario::DiscoveryJwks => "discovery-jwks",
            Scenario::FullLogin => "full-login",
        }
    }

    /// Whether the scenario calls the token endpoint, and so needs client credentials.
    pub fn needs_client(self) -> bool {
        !matches!(self, Scenario::DiscoveryJwks)
    }
}

/// RFC 6749 §2.3.1: how the client authenticates at the token and introspection endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMethod {
    /// client_secret_basic: HTTP Basic with the form-encoded id and secret.
    Basic,
    /// client_secret_post: client_id and client_secret in the form body.
    Post,
    /// A public client (`none`): client_id in the form body, no secret (full-login).
    None,
}

/// keyward-bench: bounded load against an OAuth 2.0 / OIDC server's standard endpoints.
#[derive(Debug, Parser)]
#[command(name = "keyward-bench", version, about)]
pub struct Args {
    /// What to measure.
    #[arg(long, value_enum)]
    pub scenario: Scenario,
    /// Issuer: endpoints come from {issuer}/.well-known/openid-configuration
    /// (or oauth-authorization-server); explicit endpoint flags override them.
    #[arg(long)]
    pub issuer: Option<String>,
    #[arg(long)]
    pub token_endpoint: Option<String>,
    #[arg(long)]
    pub introspection_endpoint: Option<String>,
    #[arg(long)]
    pub jwks_uri: Option<String>,
    /// full-login: where the browser starts (default: from the metadata).
    #[arg(long)]
    pub authorization_endpoint: Option<String>,
    #[arg(long)]
    pub client_id: Option<String>,
    #[arg(long, env = "KEYWARD_BENCH_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// Default: basic; for full-login without --client-secret, none (a public client).
    #[arg(long, value_enum)]
    pub auth_method: Option<AuthMethod>,
    /// Space-separated scope for the token requests (refresh: defaults to offline_access).
    #[arg(long)]
    pub scope: Option<String>,
    /// Resource owner: the password grant (refresh) or the sign-in form (full-login).
    #[arg(long)]
    pub username: Option<String>,
    #[arg(long, env = "KEYWARD_BENCH_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// full-login: the client's registered redirect URI. Never fetched: the chain stops at the
    /// redirect that points to it and takes the code from that Location.
    #[arg(long)]
    pub redirect_uri: Option<String>,
    /// Concurrent workers, each with its own keep-alive connection.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Fixed offered load in requests/s across all workers; unlimited when absent.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Access tokens obtained up front for the introspection scenario.
    #[arg(long, default_value_t = 64)]
    pub token_pool: usize,
    /// Seconds before one request counts as a transport error.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Client runtime threads; default: half the cores (at least one), leaving the rest to the
    /// server on the same machine.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Allow targets that are not on loopback (127.0.0.0/8, ::1, localhost).
    #[arg(long)]
    pub allow_remote: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("--{flag}: not a valid http(s) URL: {value}")]
    BadUrl { flag: &'static str, value: String },
    #[error(
        "--{flag}: {host} is not a loopback address (127.0.0.0/8, ::1, localhost); pass --allow-remote to target it"
    )]
    NotLoopback { flag: &'static str, host: String },
    #[error("{scenario} needs --issuer or --{flag}")]
    MissingEndpoint {
        scenario: &'static str,
        flag: &'static str,
    },
    #[error("{scenario} needs --client-id and, unless --auth-method none, --client-secret")]
    MissingClient { scenario: &'static str },
    #[error("{scenario} needs --username and --password ({why})")]
    MissingUser {
        scenario: &'static str,
        why: &'static str,
    },
    #[error("full-login needs --redirect-uri (a redirect URI registered for the client)")]
    MissingRedirectUri,
    #[error("--{flag}: {why}")]
    OutOfRange { flag: &'static str, why: String },
}

/// A client's credentials and how it presents them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub id: String,
    pub secret: String,
    pub method: AuthMethod,
}

/// Where the target's endpoints are, as far as the command line says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    pub issuer: Option<Url>,
    pub token_endpoint: Option<Url>,
    pub introspection_endpoint: Option<Url>,
    pub jwks_uri: Option<Url>,
    pub authorization_endpoint: Option<Url>,
}

/// The shape of the load: who many workers, for how long, how fast.
#[derive(Debug, Clone, PartialEq)]
pub struct Load {
    pub concurrency: usize,
    pub duration: Duration,
    pub warmup: Duration,
    pub rate: Option<f64>,
    pub timeout: Duration,
    pub threads: usize,
}

/// A validated run.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub scenario: Scenario,
    pub target: Target,
    pub client: Option<ClientCredentials>,
    pub scope: Option<String>,
    pub user: Option<(String, String)>,
    /// full-login: the redirect URI the code comes back to.
    pub redirect_uri: Option<Url>,
    pub load: Load,
    pub token_pool: usize,
    pub json: bool,
    pub allow_remote: bool,
}

impl TryFrom<Args> for Config {
    type Error = ConfigError;

    fn try_from(a: Args) -> Result<Self, ConfigError> {
        let allow_remote = a.allow_remote;
        let url = |flag: &'static str, v: Option<String>| -> Result<Option<Url>, ConfigError> {
            v.map(|v| parse_target_url(flag, &v, allow_remote))
                .transpose()
        };
        let target = Target {
            issuer: url("issuer", a.issuer)?,
            token_endpoint: url("token-endpoint", a.token_endpoint)?,
            introspection_endpoint: url("introspection-endpoint", a.introspection_endpoint)?,
            jwks_uri: url("jwks-uri", a.jwks_uri)?,
            authorization_endpoint: url("authorization-endpoint", a.authorization_endpoint)?,
        };
        let scenario = a.scenario;
        if target.issuer.is_none() {
            let missing = match scenario {
                Scenario::ClientCredentials | Scenario::Refresh => {
                    target.token_endpoint.is_none().then_some("token-endpoint")
                }
                Scenario::Introspection if target.token_endpoint.is_none() => {
                    Some("token-endpoint")
                }
                Scenario::Introspection => target
                    .introspection_endpoint
                    .is_none()
                    .then_some("introspection-endpoint"),
                Scenario::DiscoveryJwks => target.jwks_uri.is_none().then_some("jwks-uri"),
                Scenario::FullLogin if target.authorization_endpoint.is_none() => {
                    Some("authorization-endpoint")
                }
                Scenario::FullLogin => target.token_endpoint.is_none().then_some("token-endpoint"),
            };
            if let Some(flag) = missing {
                return Err(ConfigError::MissingEndpoint {
                    scenario: scenario.as_str(),
                    flag,
                });
            }
        }
        let method = a.auth_method.unwrap_or(
            if a.client_secret.is_none() && scenario == Scenario::FullLogin {
                AuthMethod::None
            } else {
                AuthMethod::Basic
            },
        );
        let client = match (a.client_id, a.client_secret, method) {
            (Some(id), _, AuthMethod::None) => Some(ClientCredentials {
                id,
                secret: String::new(),
                method,
            }),
            (Some(id), Some(secret), method) => Some(ClientCredentials { id, secret, method }),
            _ if scenario.needs_client() => {
                return Err(ConfigError::MissingClient {
                    scenario: scenario.as_str(),
                });
            }
            _ => None,
        };
        let user = match (a.username, a.password) {
            (Some(u), Some(p)) => Some((u, p)),
            _ if scenario == Scenario::Refresh => {
                return Err(ConfigError::MissingUser {
                    scenario: "refresh",
                    why: "refresh tokens come from the password grant",
                });
            }
            _ if scenario == Scenario::FullLogin => {
                return Err(ConfigError::MissingUser {
                    scenario: "full-login",
                    why: "they are typed into the sign-in form",
                });
            }
            _ => None,
        };
        let scope = match (a.scope, scenario) {
            (Some(s), _) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            (_, Scenario::Refresh) => Some("offline_access".to_owned()),
            (_, Scenario::FullLogin) => Some("openid".to_owned()),
            _ => None,
        };
        // Never fetched (the chain stops at the redirect to it), so not held to the loopback rule.
        let redirect_uri = match a.redirect_uri {
            Some(v) => Some(Url::parse(&v).map_err(|_| ConfigError::BadUrl {
                flag: "redirect-uri",
                value: v.clone(),
            })?),
            None if scenario == Scenario::FullLogin => {
                return Err(ConfigError::MissingRedirectUri);
            }
            None => None,
        };
        let concurrency = in_range("concurrency", a.concurrency, 1, MAX_CONCURRENCY)?;
        let token_pool = in_range("token-pool", a.token_pool, 1, MAX_TOKEN_POOL)?;
        let threads = match a.threads {
            Some(t) => in_range("threads", t, 1, 256)?,
            None => default_threads(),
        };
        let rate = match a.rate {
            Some(r) if r.is_finite() && r > 0.0 => Some(r),
            Some(r) => {
                return Err(ConfigError::OutOfRange {
                    flag: "rate",
                    why: format!("{r} is not a positive number"),
                });
            }
            None => None,
        };
        let load = Load {
            concurrency,
            duration: seconds("duration", a.duration, false, MAX_DURATION)?,
            warmup: seconds("warmup", a.warmup, true, MAX_WARMUP)?,
            rate,
            timeout: seconds("timeout", a.timeout, false, Duration::from_secs(300))?,
            threads,
        };
        Ok(Config {
            scenario,
            target,
            client,
            scope,
            user,
            redirect_uri,
            load,
            token_pool,
            json: a.json,
            allow_remote,
        })
    }
}

/// Half the cores, at least one: the server under test runs on the same machine.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

fn in_range(flag: &'static str, v: usize, min: usize, max: usize) -> Result<usize, ConfigError> {
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(ConfigError::OutOfRange {
            flag,
            why: format!("{v} is outside {min}..={max}"),
        })
    }
}

fn seconds(
    flag: &'static str,
    v: f64,
    zero_ok: bool,
    max: Duration,
) -> Result<Duration, ConfigError> {
    let ok = v.is_finite() && (v > 0.0 || (zero_ok && v == 0.0)) && v <= max.as_secs_f64();
    if ok {
        Ok(Duration::from_secs_f64(v))
    } else {
        let low = if zero_ok { "0" } else { "more than 0" };
        Err(ConfigError::OutOfRange {
            flag,
            why: format!("{v} s must be {low} and at most {} s", max.as_secs()),
        })
    }
}

/// Parses an http(s) URL and enforces the loopback rule on its host.
pub fn parse_target_url(
    flag: &'static str,
    value: &str,
    allow_remote: bool,
) -> Result<Url, ConfigError> {
    let bad = || ConfigError::BadUrl {
        flag,
        value: value.to_owned(),
    };
    let url = Url::parse(value).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad());
    }
    check_loopback(flag, &url, allow_remote)?;
    Ok(url)
}

/// Refuses a URL whose host is not loopback, unless remote targets are allowed.
pub fn check_loopback(
    flag: &'static str,
    url: &Url,
    allow_remote: bool,
) -> Result<(), ConfigError> {
    if allow_remote || is_loopback(url) {
        Ok(())
    } else {
        Err(ConfigError::NotLoopback {
            flag,
            host: url.host_str().unwrap_or("").to_owned(),
        })
    }
}

/// 127.0.0.0/8, ::1 (and IPv4-mapped loopback), or the name localhost.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.');
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn config(args: &[&str]) -> Result<Config, ConfigError> {
        let mut all = vec!["keyward-bench"];
        all.extend_from_slice(args);
        Config::try_from(Args::try_parse_from(all).unwrap())
    }

    const CC: &[&str] = &[
        "--scenario",
        "client-credentials",
        "--issuer",
        "http://127.0.0.1:8080/t/bench",
        "--client-id",
        "c",
        "--client-secret",
        "s",
    ];

    #[test]
    fn accepts_a_loopback_issuer_with_client_credentials() {
        let c = config(CC).unwrap();
        assert_eq!(c.scenario, Scenario::ClientCredentials);
        assert_eq!(c.client.unwrap().method, AuthMethod::Basic);
        assert_eq!(c.load.concurrency, 16);
        assert_eq!(c.load.duration, Duration::from_secs(10));
        assert_eq!(c.scope, None);
    }

    #[test]
    fn refuses_a_remote_target_without_allow_remote() {
        let err = config(&[
            "--scenario",
            "discovery-jwks",
            "--issuer",
            "https://id.example.com",
        ])
        .unwrap_err();
        assert!(
            matches!(err, ConfigError::NotLoopback { flag: "issuer", .. }),
            "{err}"
        );
        let err = config(&[
            "--scenario",
            "discovery-jwks",
            "--jwks-uri",
            "http://10.0.0.1/jwks",
        ])
        .unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::NotLoopback {
                    flag: "jwks-uri",
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            config(&[
                "--scenario",
                "discovery-jwks",
                "--issuer",
                "https://id.example.com",
                "--allow-remote"
            ])
            .is_ok()
        );
    }

    #[test]
    fn loopback_covers_127_slash_8_ipv6_and_localhost() {
        for ok in [
            "http://127.0.0.1/",
            "http://127.3.4.5:9/",
            "http://[::1]:8080/",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://a.localhost/",
        ] {
            assert!(is_loopback(&Url::parse(ok).unwrap()), "{ok}");
        }
        for bad in [
            "http://128.0.0.1/",
            "http://192.168.1.1/",
            "http://[::2]/",
            "http://localhost.example.com/",
            "http://0.0.0.0/",
        ] {
            assert!(!is_loopback(&Url::parse(bad).unwrap()), "{bad}");
        }
    }

    #[test]
    fn rejects_non_http_urls() {
        let err = config(&[
            "--scenario",
            "discovery-jwks",
            "--issuer",
            "ftp://127.0.0.1/",
        ])
        .unwrap_err();
        assert!(matches!(err, ConfigError::BadUrl { .. }));
        let err = config(&["--scenario", "discovery-jwks", "--issuer", "not a url"]).unwrap_err();
        assert!(matches!(err, ConfigError::BadUrl { .. }));
    }

    #[test]
    fn token_scenarios_need_client_credentials() {
        let err = config(&[
            "--scenario",
            "client-credentials",
            "--issuer",
            "http://127.0.0.1/",
        ])
        .unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingClient {
                scenario: "client-credentials"
            }
        );
        assert!(
            config(&[
                "--scenario",
                "discovery-jwks",
                "--issuer",
                "http://127.0.0.1/"
            ])
            .unwrap()
            .client
            .is_none()
        );
    }

    #[test]
    fn without_issuer_each_scenario_needs_its_endpoints() {
        let err = config(&[
            "--scenario",
            "client-credentials",
            "--client-id",
            "c",
            "--client-secret",
            "s",
        ])
        .unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingEndpoint {
                scenario: "client-credentials",
                flag: "token-endpoint"
            }
        );
        let err = config(&[
            "--scenario",
            "introspection",
            "--token-endpoint",
            "http://127.0.0.1/token",
            "--client-id",
            "c",
            "--client-secret",
            "s",
        ])
        .unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingEndpoint {
                scenario: "introspection",
                flag: "introspection-endpoint"
            }
        );
        let err = config(&["--scenario", "discovery-jwks"]).unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingEndpoint {
                scenario: "discovery-jwks",
                flag: "jwks-uri"
            }
        );
        assert!(
            config(&[
                "--scenario",
                "discovery-jwks",
                "--jwks-uri",
                "http://127.0.0.1/jwks"
            ])
            .is_ok()
        );
    }

    #[test]
    fn refresh_needs_a_user_and_defaults_to_offline_access() {
        let mut args = CC.to_vec();
        args[1] = "refresh";
        assert!(matches!(
            config(&args).unwrap_err(),
            ConfigError::MissingUser {
                scenario: "refresh",
                ..
            }
        ));
        args.extend_from_slice(&["--username", "u", "--password", "p"]);
        let c = config(&args).unwrap();
        assert_eq!(c.scope.as_deref(), Some("offline_access"));
        assert_eq!(c.user, Some(("u".to_owned(), "p".to_owned())));
    }

    #[test]
    fn full_login_needs_a_user_and_a_redirect_uri_and_defaults_to_a_public_client() {
        let base = [
            "--scenario",
            "full-login",
            "--issuer",
            "http://127.0.0.1:8080/t/bench",
            "--client-id",
            "spa",
        ];
        assert!(matches!(
            config(&base).unwrap_err(),
            ConfigError::MissingUser {
                scenario: "full-login",
                ..
            }
        ));
        let mut args = base.to_vec();
        args.extend_from_slice(&["--username", "u", "--password", "p"]);
        assert_eq!(config(&args).unwrap_err(), ConfigError::MissingRedirectUri);
        args.extend_from_slice(&["--redirect-uri", "http://127.0.0.1:9/cb"]);
        let c = config(&args).unwrap();
        let client = c.client.unwrap();
        assert_eq!(client.method, AuthMethod::None);
        assert_eq!(client.id, "spa");
        assert_eq!(c.scope.as_deref(), Some("openid"));
        assert_eq!(c.redirect_uri.unwrap().as_str(), "http://127.0.0.1:9/cb");
        // with a secret: client_secret_basic, as for the other scenarios
        args.extend_from_slice(&["--client-secret", "s"]);
        assert_eq!(
            config(&args).unwrap().client.unwrap().method,
            AuthMethod::Basic
        );
        // without an issuer: both endpoints
        let err = config(&[
            "--scenario",
            "full-login",
            "--client-id",
            "spa",
            "--username",
            "u",
            "--password",
            "p",
            "--redirect-uri",
            "http://127.0.0.1:9/cb",
            "--token-endpoint",
            "http://127.0.0.1/token",
        ])
        .unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingEndpoint {
                scenario: "full-login",
                flag: "authorization-endpoint"
            }
        );
    }

    #[test]
    fn other_scenarios_still_need_a_secret_unless_auth_method_none() {
        let err = config(&[
            "--scenario",
            "client-credentials",
            "--issuer",
            "http://127.0.0.1/",
            "--client-id",
            "c",
        ])
        .unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingClient {
                scenario: "client-credentials"
            }
        );
    }

    #[test]
    fn bounds_concurrency_duration_warmup_and_rate() {
        let with = |extra: &[&str]| {
            let mut a = CC.to_vec();
            a.extend_from_slice(extra);
            config(&a)
        };
        assert!(matches!(
            with(&["--concurrency", "0"]),
            Err(ConfigError::OutOfRange {
                flag: "concurrency",
                ..
            })
        ));
        assert!(matches!(
            with(&["--concurrency", "5000"]),
            Err(ConfigError::OutOfRange {
                flag: "concurrency",
                ..
            })
        ));
        assert!(matches!(
            with(&["--duration", "0"]),
            Err(ConfigError::OutOfRange {
                flag: "duration",
                ..
            })
        ));
        assert!(matches!(
            with(&["--duration", "4000"]),
            Err(ConfigError::OutOfRange {
                flag: "duration",
                ..
            })
        ));
        assert!(matches!(
            with(&["--duration", "NaN"]),
            Err(ConfigError::OutOfRange {
                flag: "duration",
                ..
            })
        ));
        assert!(matches!(
            with(&["--warmup=-1"]),
            Err(ConfigError::OutOfRange { flag: "warmup", .. })
        ));
        assert!(matches!(
            with(&["--rate", "0"]),
            Err(ConfigError::OutOfRange { flag: "rate", .. })
        ));
        let c = with(&[
            "--warmup",
            "0",
            "--duration",
            "1.5",
            "--rate",
            "700",
            "--auth-method",
            "post",
        ])
        .unwrap();
        assert_eq!(c.load.warmup, Duration::ZERO);
        assert_eq!(c.load.duration, Duration::from_millis(1500));
        assert_eq!(c.load.rate, Some(700.0));
        assert_eq!(c.client.unwrap().method, AuthMethod::Post);
    }
}
