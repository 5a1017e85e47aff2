//! Configuration: built-in defaults, then a TOML file, then `KEYWARD_*` environment variables.
//! Every error names the key it is about, so a typo is a one-line fix.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use keyward_core::MasterKey;
use keyward_http::client_ip::Cidr;
use serde::Deserialize;
use url::Url;

use crate::cli::LogFormat;

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Without a trailing slash; issuers are `{public_url}/t/{slug}`.
    pub public_url: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// `None` keeps ephemeral state in memory (one node only).
    pub redis_url: Option<String>,
    /// Namespace of every Redis key and channel, so deployments (or tests) can share a Redis.
    pub redis_prefix: String,
    pub master_key: Option<MasterKey>,
    pub log_format: LogFormat,
    /// Proxies whose `X-Forwarded-For` names the client (for throttling); none by default.
    pub trusted_proxies: Vec<Cidr>,
    /// The bearer token `/metrics` requires; without one it answers direct loopback requests
    /// only.
    pub metrics_token: Option<MetricsToken>,
    /// Sign-in interactions one address may start per tenant in 10 minutes.
    pub interaction_limit: u64,
    /// Password checks (Argon2) running or waiting on this node, across every tenant.
    pub password_hash_queue: usize,
    /// Password checks running or waiting on this node for one tenant.
    pub password_hash_queue_per_tenant: usize,
    /// PostgreSQL: statement timeout in seconds (0: none) and TCP keepalive idle seconds.
    pub database_statement_timeout_secs: u64,
    pub database_keepalive_secs: u64,
    /// Allow requests on a client's behalf (jwks_uri, backchannel_logout_uri) over http and to
    /// loopback, private and link-local addresses. For development and tests only.
    pub outbound_allow_private: bool,
    /// How often each node compares its in-memory state (policies, the revoked set in the
    /// cache) with the database, whatever messages it missed.
    pub resync_interval_secs: u64,
}

/// The `/metrics` bearer token. Its `Debug` output hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// Whether `presented` is the token (constant time).
    pub fn matches(&self, presented: &str) -> bool {
        keyward_core::secret::constant_time_eq(self.0.as_bytes(), presented.as_bytes())
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(..)")
    }
}

/// A configuration value that cannot be used, named by its key.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// The keys a configuration file may hold; anything else is refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    public_url: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    redis_url: Option<String>,
    redis_prefix: Option<String>,
    master_key: Option<String>,
    log_format: Option<LogFormat>,
    trusted_proxies: Option<Vec<String>>,
    metrics_token: Option<String>,
    interaction_limit: Option<u64>,
    password_hash_queue: Option<usize>,
    password_hash_queue_per_tenant: Option<usize>,
    database_statement_timeout_secs: Option<u64>,
    database_keepalive_secs: Option<u64>,
    outbound_allow_private: Option<bool>,
    resync_interval_secs: Option<u64>,
}

/// A raw value and where it came from, for error messages.
struct Raw {
    value: String,
    key: String,
}

impl Config {
    pub const DEFAULT_LISTEN: &'static str = "127.0.0.1:8080";
    pub const DEFAULT_REDIS_PREFIX: &'static str = "keyward:";
    pub const DEFAULT_INTERACTION_LIMIT: u64 = 300;
    pub const DEFAULT_DATABASE_STATEMENT_TIMEOUT_SECS: u64 = 30;
    pub const DEFAULT_DATABASE_KEEPALIVE_SECS: u64 = 60;
    pub const DEFAULT_RESYNC_INTERVAL_SECS: u64 = 1;
    pub const DEFAULT_PASSWORD_HASH_QUEUE: usize = keyward_identity::QueueLimits::DEFAULT_CAPACITY;
    pub const DEFAULT_PASSWORD_HASH_QUEUE_PER_TENANT: usize =
        keyward_identity::QueueLimits::DEFAULT_PER_TENANT;

    /// Loads defaults, then `file`, then the environment (read through `env`, so tests can
    /// pass their own).
    pub fn load(
        file: Option<&Path>,
        log_format_flag: Option<LogFormat>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file_cfg = match file {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let file_key = |k: &str| match file {
            Some(p) => format!("{k} (in {})", p.display()),
            None => k.to_owned(),
        };
        let pick = |env_key: &str, from_file: Option<String>, file_name: &str| -> Option<Raw> {
            env(env_key)
                .filter(|v| !v.is_empty())
                .map(|value| Raw {
                    value,
                    key: env_key.to_owned(),
                })
                .or_else(|| {
                    from_file.map(|value| Raw {
                        value,
                        key: file_key(file_name),
                    })
                })
        };

        let listen = match pick("KEYWARD_LISTEN", file_cfg.listen, "listen") {
            Some(raw) => raw.value.parse::<SocketAddr>().map_err(|_| {
                ConfigError::new(
                    raw.key,
                    format!("{:?} is not an address like 127.0.0.1:8080", raw.value),
                )
            })?,
            None => Self::DEFAULT_LISTEN
                .parse()
                .map_err(|_| ConfigError::new("listen", "built-in default does not parse"))?,
        };
        let public_url = match pick("KEYWARD_PUBLIC_URL", file_cfg.public_url, "public_url") {
            Some(raw) => parse_public_url(&raw)?,
            None => format!("http://{listen}"),
        };
        let data_dir = pick(
            "KEYWARD_DATA_DIR",
            file_cfg.data_dir.map(|p| p.display().to_string()),
            "data_dir",
        )
        .map(|raw| PathBuf::from(raw.value))
        .unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = match pick(
            "KEYWARD_DATABASE_URL",
            file_cfg.database_url,
            "database_url",
        ) {
            Some(raw) => parse_database_url(raw)?,
            None => embedded_database_url(&data_dir),
        };
        let redis_url = match pick("KEYWARD_REDIS_URL", file_cfg.redis_url, "redis_url") {
            Some(raw)
                if raw.value.starts_with("redis://") || raw.value.starts_with("rediss://") =>
            {
                Some(raw.value)
            }
            Some(raw) => {
                return Err(ConfigError::new(
                    raw.key,
                    "must start with redis:// or rediss://",
                ));
            }
            None => None,
        };
        let redis_prefix = match pick(
            "KEYWARD_REDIS_PREFIX",
            file_cfg.redis_prefix,
            "redis_prefix",
        ) {
            Some(raw) if valid_redis_prefix(&raw.value) => raw.value,
            Some(raw) => {
                return Err(ConfigError::new(
                    raw.key,
                    "must be 1 to 64 letters, digits or `-_.:` (e.g. `keyward:`)",
                ));
            }
            None => Self::DEFAULT_REDIS_PREFIX.to_owned(),
        };
        let master_key = match pick("KEYWARD_MASTER_KEY", file_cfg.master_key, "master_key") {
            Some(raw) => Some(
                MasterKey::from_base64(&raw.value)
                    .map_err(|e| ConfigError::new(raw.key, e.to_string()))?,
            ),
            None => None,
        };
        let trusted_proxies = match pick(
            "KEYWARD_TRUSTED_PROXIES",
            file_cfg.trusted_proxies.map(|blocks| blocks.join(",")),
            "trusted_proxies",
        ) {
            Some(raw) => raw
                .value
                .split(',')
                .filter(|block| !block.trim().is_empty())
                .map(|block| {
                    block
                        .parse::<Cidr>()
                        .map_err(|e| ConfigError::new(&raw.key, e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let interaction_limit = match pick(
            "KEYWARD_INTERACTION_LIMIT",
            file_cfg.interaction_limit.map(|n| n.to_string()),
            "interaction_limit",
        ) {
            Some(raw) => raw
                .value
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ConfigError::new(raw.key, "must be a whole number above 0"))?,
            None => Self::DEFAULT_INTERACTION_LIMIT,
        };
        let count = |raw: Option<Raw>, default: usize| -> Result<usize, ConfigError> {
            match raw {
                Some(raw) => raw
                    .value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| ConfigError::new(raw.key, "must be a whole number above 0")),
                None => Ok(default),
            }
        };
        let password_hash_queue = count(
            pick(
                "KEYWARD_PASSWORD_HASH_QUEUE",
                file_cfg.password_hash_queue.map(|n| n.to_string()),
                "password_hash_queue",
            ),
            Self::DEFAULT_PASSWORD_HASH_QUEUE,
        )?;
        let per_tenant = pick(
            "KEYWARD_PASSWORD_HASH_QUEUE_PER_TENANT",
            file_cfg
                .password_hash_queue_per_tenant
                .map(|n| n.to_string()),
            "password_hash_queue_per_tenant",
        );
        let per_tenant_key = per_tenant.as_ref().map(|raw| raw.key.clone());
        let password_hash_queue_per_tenant = count(
            per_tenant,
            Self::DEFAULT_PASSWORD_HASH_QUEUE_PER_TENANT.min(password_hash_queue),
        )?;
        if password_hash_queue_per_tenant > password_hash_queue {
            return Err(ConfigError::new(
                per_tenant_key.unwrap_or_else(|| "password_hash_queue_per_tenant".to_owned()),
                format!(
                    "must not exceed password_hash_queue ({password_hash_queue}): one tenant \
                     cannot hold more than the whole queue"
                ),
            ));
        }
        let seconds = |raw: Option<Raw>, default: u64| -> Result<u64, ConfigError> {
            match raw {
                Some(raw) => raw
                    .value
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= 86_400)
                    .ok_or_else(|| {
                        ConfigError::new(raw.key, "must be a whole number of seconds, 0 to 86400")
                    }),
                None => Ok(default),
            }
        };
        let database_statement_timeout_secs = seconds(
            pick(
                "KEYWARD_DATABASE_STATEMENT_TIMEOUT_SECS",
                file_cfg
                    .database_statement_timeout_secs
                    .map(|n| n.to_string()),
                "database_statement_timeout_secs",
            ),
            Self::DEFAULT_DATABASE_STATEMENT_TIMEOUT_SECS,
        )?;
        let database_keepalive_secs = seconds(
            pick(
                "KEYWARD_DATABASE_KEEPALIVE_SECS",
                file_cfg.database_keepalive_secs.map(|n| n.to_string()),
                "database_keepalive_secs",
            ),
            Self::DEFAULT_DATABASE_KEEPALIVE_SECS,
        )?;
        let outbound_allow_private = match pick(
            "KEYWARD_OUTBOUND_ALLOW_PRIVATE",
            file_cfg.outbound_allow_private.map(|b| b.to_string()),
            "outbound_allow_private",
        ) {
            Some(raw) => match raw.value.trim() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" | "" => false,
                _ => return Err(ConfigError::new(raw.key, "must be true or false")),
            },
            None => false,
        };
        let resync_interval_secs = match pick(
            "KEYWARD_RESYNC_INTERVAL_SECS",
            file_cfg.resync_interval_secs.map(|n| n.to_string()),
            "resync_interval_secs",
        ) {
            Some(raw) => raw
                .value
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=3_600).contains(n))
                .ok_or_else(|| {
                    ConfigError::new(raw.key, "must be a whole number of seconds, 1 to 3600")
                })?,
            None => Self::DEFAULT_RESYNC_INTERVAL_SECS,
        };
        let metrics_token = match pick(
            "KEYWARD_METRICS_TOKEN",
            file_cfg.metrics_token,
            "metrics_token",
        ) {
            Some(raw) if raw.value.trim().len() < 16 => {
                return Err(ConfigError::new(
                    raw.key,
                    "must be at least 16 characters (e.g. `openssl rand -base64 32`)",
                ));
            }
            Some(raw) => Some(MetricsToken(raw.value.trim().to_owned())),
            None => None,
        };
        let log_format = log_format_flag
            .or(file_cfg.log_format)
            .unwrap_or(LogFormat::Human);
        Ok(Self {
            listen,
            public_url,
            data_dir,
            database_url,
            redis_url,
            redis_prefix,
            master_key,
            log_format,
            trusted_proxies,
            interaction_limit,
            password_hash_queue,
            password_hash_queue_per_tenant,
            database_statement_timeout_secs,
            database_keepalive_secs,
            metrics_token,
            outbound_allow_private,
            resync_interval_secs,
        })
    }

    /// The PostgreSQL session settings of every connection (0 turns one off).
    pub fn postgres_tuning(&self) -> keyward_store::PostgresTuning {
        let secs = |n: u64| (n > 0).then(|| std::time::Duration::from_secs(n));
        keyward_store::PostgresTuning {
            statement_timeout: secs(self.database_statement_timeout_secs),
            keepalive_idle: secs(self.database_keepalive_secs),
        }
    }

    /// Whether the database is the default SQLite file in the data directory.
    pub fn is_embedded_database(&self) -> bool {
        self.database_url == embedded_database_url(&self.data_dir)
    }

    /// The embedded default: SQLite in the data directory, ephemeral state in memory.
    pub fn into_embedded(mut self) -> Self {
        self.database_url = embedded_database_url(&self.data_dir);
        self.redis_url = None;
        self
    }

    pub fn issuer(&self, slug: &str) -> String {
        format!("{}/t/{slug}", self.public_url)
    }
}

fn valid_redis_prefix(prefix: &str) -> bool {
    (1..=64).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::new("--config", format!("cannot read {}: {e}", path.display()))
    })?;
    toml::from_str(&text).map_err(|e| {
        let message = e.message().to_owned();
        ConfigError::new(format!("{}", path.display()), message)
    })
}

fn parse_public_url(raw: &Raw) -> Result<String, ConfigError> {
    let url = Url::parse(&raw.value).map_err(|_| {
        ConfigError::new(&raw.key, format!("{:?} is not an absolute URL", raw.value))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(
            &raw.key,
            "must be an http:// or https:// URL",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(
            &raw.key,
            "may not contain a query or fragment",
        ));
    }
    Ok(raw.value.trim_end_matches('/').to_owned())
}

fn parse_database_url(raw: Raw) -> Result<String, ConfigError> {
    let ok = ["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|p| raw.value.starts_with(p));
    if ok {
        Ok(raw.value)
    } else {
        Err(ConfigError::new(
            raw.key,
            "must start with sqlite:, postgres:// or postgresql://",
        ))
    }
}

/// The file name of the embedded default's SQLite database in the data directory.
pub const EMBEDDED_DATABASE_FILE: &str = "keyward.db";

fn embedded_database_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}/{EMBEDDED_DATABASE_FILE}?mode=rwc",
        data_dir.display()
    )
}

/// A URL safe to print: any password replaced by `***`.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // set_password only fails for URLs that cannot carry one, which this one does.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_are_the_embedded_setup() -> Result<(), ConfigError> {
        let c = Config::load(None, None, env(&[]))?;
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://./data/keyward.db?mode=rwc");
        assert!(c.redis_url.is_none() && c.master_key.is_none());
        assert!(c.is_embedded_database());
        Ok(())
    }

    #[test]
    fn trusted_proxies_come_from_the_environment_or_the_file() -> Result<(), ConfigError> {
        assert!(
            Config::load(None, None, env(&[]))?
                .trusted_proxies
                .is_empty()
        );
        let c = Config::load(
            None,
            None,
            env(&[("KEYWARD_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8")]),
        )?;
        let shown: Vec<String> = c.trusted_proxies.iter().map(|b| b.to_string()).collect();
        assert_eq!(shown, ["10.0.0.0/8", "fd00::/8"]);
        let bad = Config::load(
            None,
            None,
            env(&[("KEYWARD_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.0/40")]),
        );
        assert_eq!(
            bad.map_err(|e| e.key).err(),
            Some("KEYWARD_TRUSTED_PROXIES".to_owned())
        );
        let dir = std::env::temp_dir().join(format!("keyward-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| ConfigError::new("test", e.to_string()))?;
        let file = dir.join("proxies.toml");
        std::fs::write(&file, "trusted_proxies = [\"192.168.0.0/16\"]\n")
            .map_err(|e| ConfigError::new("test", e.to_string()))?;
        let c = Config::load(Some(&file), None, env(&[]))?;
        assert_eq!(c.trusted_proxies[0].to_string(), "192.168.0.0/16");
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }

    #[test]
    fn interaction_limit_defaults_to_300_and_refuses_what_is_not_a_positive_count() {
        let c = Config::load(None, None, env(&[])).map(|c| c.interaction_limit);
        assert_eq!(c.ok(), Some(300));
        let c = Config::load(None, None, env(&[("KEYWARD_INTERACTION_LIMIT", "5000")]));
        assert_eq!(c.map(|c| c.interaction_limit).ok(), Some(5000));
        for bad in ["0", "-1", "many"] {
            let bad = Config::load(None, None, env(&[("KEYWARD_INTERACTION_LIMIT", bad)]));
            assert_eq!(
                bad.map_err(|e| e.key).err(),
                Some("KEYWARD_INTERACTION_LIMIT".to_owned())
            );
        }
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn the_metrics_token_is_long_enough_and_never_shown() {
        let c = Config::load(None, None, env(&[])).unwrap();
        assert!(c.metrics_token.is_none());
        let short = Config::load(None, None, env(&[("KEYWARD_METRICS_TOKEN", "short")]));
        assert_eq!(short.unwrap_err().key, "KEYWARD_METRICS_TOKEN");
        let c = Config::load(
            None,
            None,
            env(&[("KEYWARD_METRICS_TOKEN", "a-long-enough-metrics-token")]),
        )
        .unwrap();
        let token = c.metrics_token.as_ref().unwrap();
        assert!(token.matches("a-long-enough-metrics-token") && !token.matches("a-long"));
        assert!(!format!("{c:?}").contains("a-long-enough"));
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn database_session_settings_default_and_are_bounded() {
        let c = Config::load(None, None, env(&[])).unwrap();
        assert_eq!(
            (c.database_statement_timeout_secs, c.database_keepalive_secs),
            (30, 60)
        );
        let c = Config::load(
            None,
            None,
            env(&[("KEYWARD_DATABASE_STATEMENT_TIMEOUT_SECS", "0")]),
        )
        .unwrap();
        assert_eq!(c.postgres_tuning().statement_timeout, None);
        let err = Config::load(
            None,
            None,
            env(&[("KEYWARD_DATABASE_KEEPALIVE_SECS", "-1")]),
        )
        .unwrap_err();
        assert_eq!(err.key, "KEYWARD_DATABASE_KEEPALIVE_SECS");
    }

    #[test]
    fn password_hash_queue_sizes_default_and_refuse_a_share_above_the_whole() {
        let c = Config::load(None, None, env(&[]))
            .map(|c| (c.password_hash_queue, c.password_hash_queue_per_tenant));
        assert_eq!(c.ok(), Some((64, 16)));
        let c = Config::load(
            None,
            None,
            env(&[
                ("KEYWARD_PASSWORD_HASH_QUEUE", "8"),
                ("KEYWARD_PASSWORD_HASH_QUEUE_PER_TENANT", "2"),
            ]),
        )
        .map(|c| (c.password_hash_queue, c.password_hash_queue_per_tenant));
        assert_eq!(c.ok(), Some((8, 2)));
        let small = Config::load(None, None, env(&[("KEYWARD_PASSWORD_HASH_QUEUE", "4")]))
            .map(|c| c.password_hash_queue_per_tenant);
        assert_eq!(
            small.ok(),
            Some(4),
            "the default share shrinks with the queue"
        );
        for (key, bad) in [
            ("KEYWARD_PASSWORD_HASH_QUEUE", "0"),
            ("KEYWARD_PASSWORD_HASH_QUEUE", "lots"),
            ("KEYWARD_PASSWORD_HASH_QUEUE_PER_TENANT", "-3"),
            ("KEYWARD_PASSWORD_HASH_QUEUE_PER_TENANT", "65"),
        ] {
            let refused = Config::load(None, None, env(&[(key, bad)]));
            assert_eq!(
                refused.map_err(|e| e.key).err(),
                Some(key.to_owned()),
                "{key}={bad}"
            );
        }
    }

    #[test]
    fn outbound_and_resync_settings_default_safe_and_refuse_nonsense() {
        let c = Config::load(None, None, env(&[]));
        assert_eq!(
            c.map(|c| (c.outbound_allow_private, c.resync_interval_secs))
                .ok(),
            Some((false, 1))
        );
        let c = Config::load(
            None,
            None,
            env(&[
                ("KEYWARD_OUTBOUND_ALLOW_PRIVATE", "true"),
                ("KEYWARD_RESYNC_INTERVAL_SECS", "30"),
            ]),
        );
        assert_eq!(
            c.map(|c| (c.outbound_allow_private, c.resync_interval_secs))
                .ok(),
            Some((true, 30))
        );
        for (key, bad) in [
            ("KEYWARD_OUTBOUND_ALLOW_PRIVATE", "sometimes"),
            ("KEYWARD_RESYNC_INTERVAL_SECS", "0"),
            ("KEYWARD_RESYNC_INTERVAL_SECS", "3601"),
        ] {
            let refused = Config::load(None, None, env(&[(key, bad)]));
            assert_eq!(
                refused.map_err(|e| e.key).err(),
                Some(key.to_owned()),
                "{key}={bad}"
            );
        }
    }

    #[test]
    fn environment_overrides_and_bad_values_name_their_key() {
        let c = Config::load(None, None, env(&[("KEYWARD_LISTEN", "0.0.0.0:9000")]));
        assert_eq!(
            c.map(|c| c.public_url).ok(),
            Some("http://0.0.0.0:9000".to_owned())
        );
        let bad = Config::load(None, None, env(&[("KEYWARD_LISTEN", "nope")]));
        assert_eq!(
            bad.map_err(|e| e.key).err(),
            Some("KEYWARD_LISTEN".to_owned())
        );
        let bad = Config::load(None, None, env(&[("KEYWARD_REDIS_URL", "http://x")]));
        assert_eq!(
            bad.map_err(|e| e.key).err(),
            Some("KEYWARD_REDIS_URL".to_owned())
        );
        let bad = Config::load(None, None, env(&[("KEYWARD_REDIS_PREFIX", "has space")]));
        assert_eq!(
            bad.map_err(|e| e.key).err(),
            Some("KEYWARD_REDIS_PREFIX".to_owned())
        );
        let c = Config::load(None, None, env(&[("KEYWARD_REDIS_PREFIX", "kw-staging:")]));
        assert_eq!(
            c.map(|c| c.redis_prefix).ok(),
            Some("kw-staging:".to_owned())
        );
        let bad = Config::load(None, None, env(&[("KEYWARD_MASTER_KEY", "short")]));
        assert_eq!(
            bad.map_err(|e| e.key).err(),
            Some("KEYWARD_MASTER_KEY".to_owned())
        );
        let bad = Config::load(None, None, env(&[("KEYWARD_PUBLIC_URL", "ftp://x")]));
        assert_eq!(
            bad.map_err(|e| e.key).err(),
            Some("KEYWARD_PUBLIC_URL".to_owned())
        );
    }

    #[test]
    fn file_keys_are_checked_and_unknown_keys_refused() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("k.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:7000\"\npublic_url = \"https://id.test/\"\n",
        )?;
        let c = Config::load(Some(&path), None, env(&[]))?;
        assert_eq!(c.listen.port(), 7000);
        assert_eq!(c.public_url, "https://id.test");
        std::fs::write(&path, "lisen = \"127.0.0.1:7000\"\n")?;
        let err = Config::load(Some(&path), None, env(&[]))
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("lisen")));
        Ok(())
    }

    #[test]
    fn redact_hides_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }
}
