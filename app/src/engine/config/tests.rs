//! The config's unit tests (figment::Jail: a temporary directory and environment).

use super::*;
use figment::Jail;
use secrecy::ExposeSecret;

/// Every variable blank (= unset), except `PROMPTDEV_MODEL_PATH`: the embedded model's
/// tests read it, and a blank one would make them skip.
fn blank_all(jail: &mut Jail) {
    for (var, _) in VARIABLES.iter().filter(|(var, _)| *var != "PROMPTDEV_MODEL_PATH") {
        jail.set_env(var, "");
    }
}

fn error_of(jail: &mut Jail, var: &str, value: &str) -> String {
    jail.set_env(var, value);
    let e = Config::from_env().expect_err(var).to_string();
    jail.set_env(var, "");
    e
}

#[test]
fn defaults_when_nothing_is_set() {
    Jail::expect_with(|jail| {
        blank_all(jail);
        let c = Config::from_env().unwrap();
        assert_eq!(c.database_url, "sqlite://data/promptdev.db");
        assert_eq!(c.addr, "127.0.0.1:8001".parse().unwrap());
        assert_eq!(c.site_root, "target/site");
        assert_eq!(c.history_window, 20);
        assert_eq!(c.history_tokens, 1024);
        assert!(!c.secure_cookies, "loopback: no Secure flag by default");
        assert_eq!(c.chat_workspace, None);
        assert!(!c.webhook_allow_private, "webhooks stay outside the private network by default");
        let LlmConfig::Local { model_path, threads, context_size, seed } = c.llm else {
            panic!("local is the default provider")
        };
        if std::env::var("PROMPTDEV_MODEL_PATH").ok().filter(|v| !v.trim().is_empty()).is_none() {
            assert_eq!(model_path, PathBuf::from("models/SmolLM2-135M-Instruct.Q4_1.gguf"));
        }
        assert_eq!((threads, context_size, seed), (1, 2048, None));
        Ok(())
    });
}

#[test]
fn values_are_read_and_blank_counts_as_unset() {
    Jail::expect_with(|jail| {
        blank_all(jail);
        jail.set_env("DATABASE_URL", "postgres://u@db:5432/pd");
        jail.set_env("PROMPTDEV_ADDR", "0.0.0.0:9000");
        jail.set_env("LEPTOS_SITE_ROOT", "  ");
        jail.set_env("PROMPTDEV_LLM_THREADS", "2");
        jail.set_env("PROMPTDEV_LLM_CONTEXT", " ");
        jail.set_env("PROMPTDEV_LLM_SEED", "42");
        jail.set_env("PROMPTDEV_HISTORY_WINDOW", "007");
        jail.set_env("PROMPTDEV_HISTORY_TOKENS", "300");
        jail.set_env("PROMPTDEV_CHAT_WORKSPACE", "acme");
        let c = Config::from_env().unwrap();
        assert_eq!(c.database_url, "postgres://u@db:5432/pd");
        assert_eq!(c.addr, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(c.site_root, "target/site");
        assert_eq!(c.history_window, 7);
        assert_eq!(c.history_tokens, 300);
        assert!(c.secure_cookies, "not loopback: Secure by default");
        assert_eq!(c.chat_workspace.as_deref(), Some("acme"));
        assert!(!c.webhook_allow_private);
        jail.set_env("PROMPTDEV_WEBHOOK_ALLOW_PRIVATE", "1");
        assert!(Config::from_env().unwrap().webhook_allow_private);
        let LlmConfig::Local { threads, context_size, seed, .. } = c.llm else { panic!("local") };
        assert_eq!((threads, context_size, seed), (2, 2048, Some(42)));
        Ok(())
    });
}

#[test]
fn secure_cookies_takes_1_true_0_false_and_ignores_the_rest() {
    Jail::expect_with(|jail| {
        blank_all(jail);
        for (value, addr, expected) in [
            ("1", "127.0.0.1:1", true),
            ("true", "127.0.0.1:1", true),
            ("0", "0.0.0.0:1", false),
            ("false", "0.0.0.0:1", false),
            ("yes", "0.0.0.0:1", true),
            ("yes", "127.0.0.1:1", false),
        ] {
            jail.set_env("PROMPTDEV_SECURE_COOKIES", value);
            jail.set_env("PROMPTDEV_ADDR", addr);
            assert_eq!(Config::from_env().unwrap().secure_cookies, expected, "{value} on {addr}");
        }
        Ok(())
    });
}

#[test]
fn openai_settings() {
    Jail::expect_with(|jail| {
        blank_all(jail);
        jail.set_env("PROMPTDEV_LLM", "openai");
        // Only the chosen provider's settings are read.
        jail.set_env("PROMPTDEV_LLM_THREADS", "many");
        let LlmConfig::OpenAi { base_url, model, api_key, connect_timeout, request_timeout, max_retries } =
            Config::from_env().unwrap().llm
        else {
            panic!("openai")
        };
        assert_eq!((base_url.as_str(), model.as_str()), ("https://api.openai.com/v1", "gpt-4o-mini"));
        assert!(api_key.is_none());
        assert_eq!(
            (connect_timeout, request_timeout, max_retries),
            (Duration::from_secs(5), Duration::from_secs(120), 2)
        );

        jail.set_env("OPENAI_BASE_URL", "https://api.venice.ai/api/v1");
        jail.set_env("OPENAI_MODEL", "1.5");
        jail.set_env("OPENAI_API_KEY", "00123");
        jail.set_env("PROMPTDEV_LLM_CONNECT_TIMEOUT_S", "1");
        jail.set_env("PROMPTDEV_LLM_TIMEOUT_S", "30");
        jail.set_env("PROMPTDEV_LLM_RETRIES", "0");
        let c = Config::from_env().unwrap();
        assert!(!format!("{c:?}").contains("00123"), "the key never shows in Debug");
        let LlmConfig::OpenAi { base_url, model, api_key, connect_timeout, request_timeout, max_retries } = c.llm
        else {
            panic!("openai")
        };
        assert_eq!((base_url.as_str(), model.as_str()), ("https://api.venice.ai/api/v1", "1.5"));
        assert_eq!(api_key.expect("a key").expose_secret(), "00123", "kept verbatim, not read as a number");
        assert_eq!(
            (connect_timeout, request_timeout, max_retries),
            (Duration::from_secs(1), Duration::from_secs(30), 0)
        );
        Ok(())
    });
}

#[test]
fn a_bad_value_is_an_error_naming_its_variable() {
    Jail::expect_with(|jail| {
        blank_all(jail);
        for var in
            ["PROMPTDEV_LLM_THREADS", "PROMPTDEV_LLM_CONTEXT", "PROMPTDEV_HISTORY_WINDOW", "PROMPTDEV_HISTORY_TOKENS"]
        {
            let e = error_of(jail, var, "-1");
            assert!(e.starts_with(&format!("{var} must be a whole number")), "{e}");
        }
        let e = error_of(jail, "PROMPTDEV_LLM_SEED", "4294967296");
        assert!(e.starts_with("PROMPTDEV_LLM_SEED must be a whole number"), "{e}");
        let e = error_of(jail, "PROMPTDEV_ADDR", "localhost");
        assert!(e.starts_with("PROMPTDEV_ADDR must look like 127.0.0.1:8001"), "{e}");
        let e = error_of(jail, "PROMPTDEV_LLM", "claude");
        assert_eq!(e, "PROMPTDEV_LLM must be `local` or `openai`, not `claude`");

        jail.set_env("PROMPTDEV_LLM", "openai");
        for var in ["PROMPTDEV_LLM_CONNECT_TIMEOUT_S", "PROMPTDEV_LLM_TIMEOUT_S", "PROMPTDEV_LLM_RETRIES"] {
            let e = error_of(jail, var, "2s");
            assert!(e.starts_with(&format!("{var} must be a whole number")), "{e}");
        }
        Ok(())
    });
}

#[test]
fn a_file_can_be_merged_under_the_environment() {
    Jail::expect_with(|jail| {
        blank_all(jail);
        jail.set_env("PROMPTDEV_HISTORY_WINDOW", "5");
        let file = figment::providers::Serialized::defaults(serde_json::json!({
            "history_window": 50, "llm_threads": 3, "secure_cookies": true, "llm_context": "x"
        }));
        let c = Config::from_figment(&Figment::from(file).merge(Environment));
        let e = c.expect_err("llm_context is not a number").to_string();
        assert!(e.starts_with("llm_context must be a whole number"), "{e}");

        let file = figment::providers::Serialized::defaults(serde_json::json!({
            "history_window": 50, "llm_threads": 3, "secure_cookies": true
        }));
        let c = Config::from_figment(&Figment::from(file).merge(Environment)).unwrap();
        assert_eq!(c.history_window, 5, "the environment wins");
        assert!(c.secure_cookies);
        let LlmConfig::Local { threads, .. } = c.llm else { panic!("local") };
        assert_eq!(threads, 3);
        Ok(())
    });
}

#[test]
fn the_file_is_read_under_the_environment() {
    Jail::expect_with(|jail| {
        blank_all(jail);
        jail.set_env("PROMPTDEV_CONFIG", "");
        jail.create_file(
            "promptdev.toml",
            "addr = \"127.0.0.1:9100\"\nhistory_window = 7\nllm = \"openai\"\nopenai_model = \"from-file\"\nopenai_api_key = \"sk-file\"\n",
        )?;
        let c = Config::from_env().unwrap();
        assert_eq!(c.addr, "127.0.0.1:9100".parse().unwrap());
        assert_eq!(c.history_window, 7, "a native TOML number works");
        match &c.llm {
            LlmConfig::OpenAi { model, api_key, .. } => {
                assert_eq!(model, "from-file");
                assert_eq!(api_key.as_ref().unwrap().expose_secret(), "sk-file");
            }
            other => panic!("{other:?}"),
        }
        assert!(!format!("{c:?}").contains("sk-file"), "a secret from the file is never printed");
        // The environment wins over the file.
        jail.set_env("PROMPTDEV_HISTORY_WINDOW", "9");
        assert_eq!(Config::from_env().unwrap().history_window, 9);
        jail.set_env("PROMPTDEV_HISTORY_WINDOW", "");
        // A typo is an error, not silence.
        jail.create_file("promptdev.toml", "adr = \"0.0.0.0:80\"\n")?;
        let e = Config::from_env().unwrap_err().to_string();
        assert!(e.contains("unknown key(s) adr"), "{e}");
        // A named file must exist.
        jail.set_env("PROMPTDEV_CONFIG", "missing.toml");
        assert!(Config::from_env().unwrap_err().to_string().contains("missing.toml"));
        jail.set_env("PROMPTDEV_CONFIG", "");
        Ok(())
    });
}

#[test]
fn a_public_address_needs_explicit_provider_and_cookies() {
    Jail::expect_with(|jail| {
        blank_all(jail);
        jail.set_env("PROMPTDEV_CONFIG", "");
        let c = Config::from_env().unwrap();
        assert!(c.check_exposed(&Config::figment()).is_ok(), "loopback needs nothing explicit");
        jail.set_env("PROMPTDEV_ADDR", "0.0.0.0:8001");
        let c = Config::from_env().unwrap();
        let e = c.check_exposed(&Config::figment()).unwrap_err().to_string();
        assert!(e.contains("PROMPTDEV_LLM and PROMPTDEV_SECURE_COOKIES"), "{e}");
        jail.set_env("PROMPTDEV_LLM", "local");
        let e = c.check_exposed(&Config::figment()).unwrap_err().to_string();
        assert!(!e.contains("PROMPTDEV_LLM ") && e.contains("PROMPTDEV_SECURE_COOKIES"), "{e}");
        jail.create_file("promptdev.toml", "secure_cookies = true\n")?;
        assert!(c.check_exposed(&Config::figment()).is_ok(), "the file counts as explicit");
        Ok(())
    });
}
