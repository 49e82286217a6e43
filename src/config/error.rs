/// A setting that stops start-up. Messages name the file, key, account or variable at fault,
/// and never a password.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {message}")]
    Read { path: String, message: String },
    #[error("config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("config key `{key}`: {message}")]
    Key { key: String, message: String },
    #[error("account `{account}`, key `{key}`: {message}")]
    Account {
        account: String,
        key: String,
        message: String,
    },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
}
