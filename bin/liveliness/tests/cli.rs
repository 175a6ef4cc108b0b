//! The real `liveliness` binary, run as a process: help texts, keystores, and the whole
//! operator life cycle against a real anvil.

use alloy::primitives::{hex, Address};
use liveliness_chain::test_utils::spawn_anvil;
use serde_json::Value;
use std::{
    path::{Path, PathBuf},
    process::Command,
};

const PASSWORD: &str = "correct horse battery staple";

/// The binary with a clean environment: no inherited `LIVELINESS_*` settings, quiet logs.
fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_liveliness"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("LIVELINESS_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("RUST_LOG", "warn");
    cmd
}

struct Output {
    success: bool,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the binary runs");
    Output {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `cmd`, asserts it succeeds and returns its stdout.
#[track_caller]
fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.success,
        "{cmd:?} failed\nstdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    out.stdout
}

/// Runs `cmd`, asserts it fails and returns its stderr.
#[track_caller]
fn fail(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        !out.success,
        "{cmd:?} succeeded but should fail\nstdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    out.stderr
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn password_file(dir: &Path) -> PathBuf {
    let path = dir.join("password.txt");
    write_private(&path, &format!("{PASSWORD}\n"));
    path
}

/// Writes a file only its owner can read: the binary refuses password files others can.
fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    set_mode(path, 0o600);
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

#[test]
fn every_subcommand_has_help() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "liveness oracle"),
        (&["keys"], "keystores"),
        (
            &["keys", "generate"],
            "Generate a new ECDSA key and a new BLS key",
        ),
        (&["keys", "import"], "Import existing secret keys"),
        (&["keys", "show"], "public information"),
        (
            &["deploy"],
            "Deploy the AttestationCenter and the LivelinessRegistry",
        ),
        (&["operator"], "Register an operator"),
        (
            &["operator", "register"],
            "its BLS key in the AttestationCenter",
        ),
        (
            &["operator", "change-endpoint"],
            "Replace the operator's health endpoint",
        ),
        (&["operator", "leave"], "Leave the AVS"),
        (&["operator", "rejoin"], "Consent to serve again"),
        (
            &["operator", "unregister"],
            "Remove the operator from the LivelinessRegistry",
        ),
        (&["operator", "set-power"], "set an operator's voting power"),
        (&["score"], "liveliness score"),
        (&["status"], "all registered operators"),
        (&["node"], "Run a Liveliness node"),
    ];
    for (args, purpose) in cases {
        let stdout = ok(bin().args(*args).arg("--help"));
        assert!(
            stdout.contains(purpose),
            "`{}` --help does not say {purpose:?}:\n{stdout}",
            args.join(" ")
        );
        assert!(stdout.contains("Usage: liveliness"), "{stdout}");
    }
    // Every flag says what it does.
    let stdout = ok(bin().args(["deploy", "--help"]));
    for flag in [
        "--rpc-url",
        "--owner",
        "--max-task-age",
        "--epoch-length",
        "--sample-size",
        "--performer-timeout-blocks",
        "--task-validity-blocks",
        "--confirmation-depth",
        "--health-timeout-ms",
        "--c <POINTS>",
        "--ecdsa-keystore",
        "--private-key-env",
        "--password-file",
        "--out",
    ] {
        // Short layout: help on the flag's line; long layout: on the lines below it.
        let lines: Vec<&str> = stdout.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.trim_start().starts_with(flag))
            .unwrap_or_else(|| panic!("deploy --help has no {flag}:\n{stdout}"));
        let help: String = std::iter::once(lines[at].trim_start().trim_start_matches(flag))
            .chain(
                lines[at + 1..]
                    .iter()
                    .take_while(|l| !l.trim_start().starts_with('-') && !l.trim().is_empty())
                    .copied(),
            )
            .collect();
        assert!(
            help.split_whitespace().count() >= 4,
            "{flag} has no help: {help:?}"
        );
    }
}

#[test]
fn keys_generate_show_and_refusals() {
    let tmp = tempfile::tempdir().unwrap();
    let pw = password_file(tmp.path());
    let dir = tmp.path().join("keys");

    let stdout = ok(bin()
        .args(["keys", "generate", "--dir"])
        .arg(&dir)
        .arg("--password-file")
        .arg(&pw));
    let field = |text: &str, key: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key:?} in:\n{text}"))
            .trim()
            .to_owned()
    };
    let address: Address = field(&stdout, "operator address").parse().unwrap();
    let g1 = field(&stdout, "BLS public key G1");
    assert!(g1.starts_with("0x") && g1.len() == 2 + 128, "{g1}");

    // Operators' keystores get geth's standard scrypt cost.
    for file in ["ecdsa.json", "bls.json"] {
        let keystore = json(&std::fs::read_to_string(dir.join(file)).unwrap());
        let kdf = &keystore["crypto"]["kdfparams"];
        assert_eq!(
            (&kdf["n"], &kdf["r"], &kdf["p"]),
            (&262144.into(), &8.into(), &1.into()),
            "{file}"
        );
    }

    let shown = ok(bin().args(["keys", "show"]).arg(dir.join("ecdsa.json")));
    assert_eq!(field(&shown, "operator address"), address.to_string());
    assert!(shown.contains("ECDSA"), "{shown}");
    let shown = json(&ok(bin()
        .args(["keys", "show", "--json"])
        .arg(dir.join("bls.json"))));
    assert_eq!(shown["keyType"], "bn254-bls");
    assert_eq!(shown["pubkeyG1"], g1.as_str());

    // Keys are never overwritten.
    let stderr = fail(
        bin()
            .args(["keys", "generate", "--dir"])
            .arg(&dir)
            .arg("--password-file")
            .arg(&pw),
    );
    assert!(stderr.contains("already exists"), "{stderr}");

    // No password: the error says where one comes from.
    let stderr = fail(
        bin()
            .args(["keys", "generate", "--dir"])
            .arg(tmp.path().join("other")),
    );
    assert!(
        stderr.contains("no keystore password")
            && stderr.contains("--password-file")
            && stderr.contains("LIVELINESS_KEYSTORE_PASSWORD"),
        "{stderr}"
    );
    // A password file others can read is refused, with the fix; nothing is written.
    #[cfg(unix)]
    {
        set_mode(&pw, 0o644);
        let stderr = fail(
            bin()
                .args(["keys", "generate", "--dir"])
                .arg(tmp.path().join("other"))
                .arg("--password-file")
                .arg(&pw),
        );
        assert!(
            stderr.contains(&pw.display().to_string())
                && stderr.contains("accessible to other users")
                && stderr.contains("chmod 600"),
            "{stderr}"
        );
        assert!(!tmp.path().join("other").exists());
        set_mode(&pw, 0o600);
    }
    // The password from the environment is taken too: the command gets past the password to
    // the existing keys (a fresh directory would cost two standard-cost keystores).
    let stderr = fail(
        bin()
            .args(["keys", "generate", "--dir"])
            .arg(&dir)
            .env("LIVELINESS_KEYSTORE_PASSWORD", PASSWORD),
    );
    assert!(stderr.contains("already exists"), "{stderr}");

    // A keystore that is not one.
    let bogus = tmp.path().join("bogus.json");
    std::fs::write(&bogus, "{}").unwrap();
    let stderr = fail(bin().args(["keys", "show"]).arg(&bogus));
    assert!(stderr.contains("bogus.json"), "{stderr}");

    // Importing needs a secret, from a file or the environment.
    let stderr = fail(
        bin()
            .args(["keys", "import", "--dir"])
            .arg(tmp.path().join("imported"))
            .arg("--password-file")
            .arg(&pw),
    );
    assert!(stderr.contains("nothing to import"), "{stderr}");
    let stderr = fail(
        bin()
            .args(["keys", "import", "--dir"])
            .arg(tmp.path().join("imported"))
            .args(["--ecdsa-key-env", "LIVELINESS_TEST_UNSET_KEY"])
            .arg("--password-file")
            .arg(&pw),
    );
    assert!(stderr.contains("LIVELINESS_TEST_UNSET_KEY"), "{stderr}");
}

#[test]
fn node_config_overrides_from_flags_and_env() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("node.toml");
    std::fs::write(
        &config,
        r#"
rpc_urls = ["http://127.0.0.1:8545"]
attestation_center = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
registry = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
data_dir = "data"
ecdsa_keystore = "keys/ecdsa.json"
bls_keystore = "keys/bls.json"
"#,
    )
    .unwrap();
    let stdout = ok(bin()
        .args(["node", "--config"])
        .arg(&config)
        .args([
            "--rpc-url",
            "http://a.example:1",
            "--rpc-url",
            "http://b.example:2",
        ])
        .args(["--health-listen", "127.0.0.1:18600", "--check-config"])
        .env("LIVELINESS_DATA_DIR", "/var/lib/liveliness")
        .env("LIVELINESS_ALLOW_LOOPBACK", "true")
        .env(
            "LIVELINESS_BOOTSTRAP",
            "/ip4/10.0.0.1/tcp/9700,/ip4/10.0.0.2/tcp/9700",
        ));
    assert!(
        stdout.contains("http://a.example:1") && stdout.contains("http://b.example:2"),
        "{stdout}"
    );
    assert!(!stdout.contains("8545"), "{stdout}");
    assert!(
        stdout.contains("data_dir = \"/var/lib/liveliness\""),
        "{stdout}"
    );
    assert!(stdout.contains("allow_loopback = true"), "{stdout}");
    assert!(stdout.contains("127.0.0.1:18600"), "{stdout}");
    assert!(stdout.contains("/ip4/10.0.0.2/tcp/9700"), "{stdout}");

    let stderr = fail(bin().args(["node", "--config"]).arg(&config).args([
        "--p2p-listen",
        "nonsense",
        "--check-config",
    ]));
    assert!(stderr.contains("not a multiaddr"), "{stderr}");
    let stderr = fail(
        bin()
            .args(["node", "--config"])
            .arg(tmp.path().join("missing.toml")),
    );
    assert!(stderr.contains("missing.toml"), "{stderr}");
}

/// Deploy, import an operator key, register (BLS key, governance sets power, endpoint),
/// read score and status, change the endpoint, leave and unregister.
#[test]
fn operator_life_cycle_on_anvil() {
    let anvil = spawn_anvil(3);
    let url = anvil.endpoint();
    let deployer_key = hex::encode(anvil.keys()[0].to_bytes());
    let operator_key = hex::encode(anvil.keys()[1].to_bytes());
    let operator = anvil.addresses()[1];
    let stranger = anvil.addresses()[2];
    let tmp = tempfile::tempdir().unwrap();
    let pw = password_file(tmp.path());
    let deployment_file = tmp.path().join("deployment.json");
    let key_dir = tmp.path().join("operator");

    // Deploy with the deployer key from the environment.
    let stdout = ok(bin()
        .args(["deploy", "--rpc-url", &url])
        .args(["--private-key-env", "TEST_DEPLOYER_KEY", "--c", "500"])
        .args(["--epoch-length", "20", "--max-task-age", "128"])
        .arg("--out")
        .arg(&deployment_file)
        .env("TEST_DEPLOYER_KEY", &deployer_key));
    let deployment = json(&stdout);
    assert_eq!(deployment["chain_id"], 31337);
    assert_eq!(
        json(&std::fs::read_to_string(&deployment_file).unwrap()),
        deployment
    );
    let registry = deployment["registry"].as_str().unwrap().to_owned();

    // The operator's key: anvil #1 imported, a fresh BLS key generated beside it.
    let stdout = ok(bin()
        .args(["keys", "import", "--dir"])
        .arg(&key_dir)
        .args(["--ecdsa-key-env", "TEST_OPERATOR_KEY"])
        .arg("--password-file")
        .arg(&pw)
        .env("TEST_OPERATOR_KEY", format!("0x{operator_key}")));
    assert!(stdout.contains(&operator.to_string()), "{stdout}");
    assert!(
        stdout.contains("imported") && stdout.contains("generated"),
        "{stdout}"
    );
    // `keys import` wrote keystores with the standard scrypt cost, about a second per
    // decryption. One command below uses them; the many others use `light_dir`: the same two
    // keys in keystores with the test-only light cost.
    let light_dir = tmp.path().join("operator-light");
    {
        use liveliness_keys::{KdfStrength, KeyFiles};
        let (standard, light) = (KeyFiles::in_dir(&key_dir), KeyFiles::in_dir(&light_dir));
        let bls = liveliness_keys::load_bls(&standard.bls_path, PASSWORD).unwrap();
        let weak = KdfStrength::InsecureTestOnly;
        liveliness_keys::save_bls(&light.bls_path, &bls, PASSWORD, weak).unwrap();
        liveliness_keys::import_ecdsa(&light.ecdsa_path, &operator_key, PASSWORD, weak).unwrap();
    }

    let operator_cmd_in = |dir: &Path, sub: &str| {
        let mut cmd = bin();
        cmd.args(["operator", sub, "--rpc-url", &url])
            .arg("--deployment")
            .arg(&deployment_file)
            .arg("--key-dir")
            .arg(dir)
            .arg("--password-file")
            .arg(&pw);
        cmd
    };
    let operator_cmd = |sub: &str| operator_cmd_in(&light_dir, sub);
    // Governance signs from a keystore: the deployer key imported from a file.
    let key_file = tmp.path().join("deployer.key");
    std::fs::write(&key_file, format!("{deployer_key}\n")).unwrap();
    let gov_dir = tmp.path().join("governance");
    let stdout = ok(bin()
        .args(["keys", "import", "--dir"])
        .arg(&gov_dir)
        .arg("--ecdsa-key-file")
        .arg(&key_file)
        .arg("--password-file")
        .arg(&pw));
    assert!(
        stdout.contains(&anvil.addresses()[0].to_string()),
        "{stdout}"
    );
    // As for the operator, the commands use a light copy of that keystore.
    let gov_keystore = tmp.path().join("governance-light.json");
    liveliness_keys::import_ecdsa(
        &gov_keystore,
        &deployer_key,
        PASSWORD,
        liveliness_keys::KdfStrength::InsecureTestOnly,
    )
    .unwrap();
    let set_power = |id: &str, power: &str| {
        let mut cmd = bin();
        cmd.args(["operator", "set-power", "--id", id, "--power", power])
            .args(["--rpc-url", &url])
            .arg("--deployment")
            .arg(&deployment_file);
        cmd
    };
    let score = |address: Address| {
        json(&ok(bin()
            .args(["score", &address.to_string(), "--json"])
            .args(["--rpc-url", &url, "--registry", &registry])))
    };

    // A bad endpoint is refused by the registry's own check, named, before anything is sent.
    let stderr = fail(operator_cmd("register").args(["--endpoint", "ftp://x"]));
    assert!(
        stderr.contains("EndpointBadScheme") && stderr.contains("must start with http://"),
        "{stderr}"
    );
    // No password: said so.
    let stderr = fail(
        bin()
            .args([
                "operator",
                "register",
                "--endpoint",
                "http://op.example:8600/",
            ])
            .args(["--rpc-url", &url])
            .arg("--deployment")
            .arg(&deployment_file)
            .arg("--key-dir")
            .arg(&key_dir),
    );
    assert!(stderr.contains("LIVELINESS_KEYSTORE_PASSWORD"), "{stderr}");

    // The BLS key registers (from the keystores `keys import` wrote); without voting power
    // the registry cannot take it yet.
    let endpoint = "http://op.example:8600/";
    let out = run(operator_cmd_in(&key_dir, "register").args(["--endpoint", endpoint]));
    assert!(!out.success, "{}", out.stdout);
    assert!(out.stdout.contains("operator id 1"), "{}", out.stdout);
    assert!(
        out.stderr.contains("no voting power") && out.stderr.contains("set-power --id 1"),
        "{}",
        out.stderr
    );

    // Only governance sets voting power.
    let stderr = fail(
        set_power("1", "10")
            .args(["--private-key-env", "TEST_KEY"])
            .env("TEST_KEY", &operator_key),
    );
    assert!(stderr.contains("Unauthorized"), "{stderr}");
    let stderr = fail(&mut set_power("1", "10"));
    assert!(stderr.contains("no signing key"), "{stderr}");
    let wrong = tmp.path().join("wrong-password.txt");
    write_private(&wrong, "not it\n");
    let stderr = fail(
        set_power("1", "10")
            .arg("--ecdsa-keystore")
            .arg(&gov_keystore)
            .arg("--password-file")
            .arg(&wrong),
    );
    assert!(stderr.contains("wrong password"), "{stderr}");
    ok(set_power("1", "10")
        .arg("--ecdsa-keystore")
        .arg(&gov_keystore)
        .arg("--password-file")
        .arg(&pw));

    let stdout = ok(operator_cmd("register").args(["--endpoint", endpoint]));
    assert!(
        stdout.contains("is operator id 1") && stdout.contains("registered"),
        "{stdout}"
    );
    let stderr = fail(operator_cmd("register").args(["--endpoint", endpoint]));
    assert!(stderr.contains("already registered"), "{stderr}");

    let first = score(operator);
    assert_eq!(first["registered"], true);
    assert_eq!(first["operatorId"], 1);
    assert_eq!(first["votingPower"], 10);
    assert_eq!(first["penalties"], 0);
    assert_eq!(first["penaltyPoints"], 0);
    assert_eq!(first["endpoint"], endpoint);
    assert!(first["registeredAtBlock"].as_u64().unwrap() > 0);

    // Every block adds a point: changing the endpoint mines one.
    let stderr = fail(operator_cmd("change-endpoint").args(["--endpoint", "http://a b/"]));
    assert!(stderr.contains("EndpointInvalidCharacter"), "{stderr}");
    let new_endpoint = "http://op2.example:8600/health";
    ok(operator_cmd("change-endpoint").args(["--endpoint", new_endpoint]));
    let second = score(operator);
    assert!(
        second["score"].as_u64().unwrap() > first["score"].as_u64().unwrap(),
        "{first} then {second}"
    );
    assert_eq!(second["endpoint"], new_endpoint);
    assert_eq!(
        second["servedBlocks"], second["score"],
        "no penalty: the score is the blocks served"
    );

    let status = json(&ok(bin()
        .args(["status", "--json", "--rpc-url", &url])
        .arg("--deployment")
        .arg(&deployment_file)));
    assert_eq!(status["params"]["c"], 500);
    assert_eq!(status["params"]["epochLength"], 20);
    assert_eq!(
        status["pendingParams"],
        Value::Null,
        "deployed parameters apply at once"
    );
    assert_eq!(status["activeOperators"], 1);
    let ops = status["operators"].as_array().unwrap();
    assert_eq!(ops.len(), 1, "{status}");
    assert_eq!(
        ops[0]["address"]
            .as_str()
            .unwrap()
            .parse::<Address>()
            .unwrap(),
        operator
    );
    assert_eq!(ops[0]["operatorId"], 1);
    assert_eq!(ops[0]["votingPower"], 10);
    assert_eq!(ops[0]["penalties"], 0);
    assert_eq!(ops[0]["endpoint"], new_endpoint);
    assert!(ops[0]["score"].as_u64().unwrap() >= second["score"].as_u64().unwrap());

    let table = ok(bin()
        .args(["status", "--page-size", "1", "--rpc-url", &url])
        .arg("--deployment")
        .arg(&deployment_file));
    assert!(
        table.contains("PENALTIES") && table.contains(&operator.to_string()),
        "{table}"
    );
    assert!(table.contains("C=500"), "{table}");
    assert!(table.contains("pending params"), "{table}");

    // An unknown address has score 0 and is not registered; that is no error.
    let unknown = score(stranger);
    assert_eq!(unknown["registered"], false);
    assert_eq!(unknown["score"], 0);
    let text = ok(bin()
        .args(["score", &stranger.to_string(), "--rpc-url", &url])
        .arg("--deployment")
        .arg(&deployment_file));
    assert!(text.contains("not registered"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["score", "0"]),
        "{text}"
    );
    let stderr = fail(bin().args(["score", "0xnothex", "--rpc-url", &url]));
    assert!(stderr.contains("ADDRESS"), "{stderr}");
    let stderr = fail(bin().args(["score", &stranger.to_string(), "--rpc-url", &url]));
    assert!(stderr.contains("no registry address"), "{stderr}");

    // Unregistering needs leaving the AVS first.
    let stderr = fail(&mut operator_cmd("unregister"));
    assert!(stderr.contains("StillActive"), "{stderr}");
    let before_leaving = score(operator)["servedBlocks"].as_u64().unwrap();
    ok(&mut operator_cmd("leave"));
    // Governance cannot bring it back without its consent; after `rejoin` it can.
    let stderr = fail(
        set_power("1", "10")
            .arg("--ecdsa-keystore")
            .arg(&gov_keystore)
            .arg("--password-file")
            .arg(&pw),
    );
    assert!(
        stderr.contains("OperatorHasLeft") && stderr.contains("operator rejoin"),
        "{stderr}"
    );
    ok(&mut operator_cmd("rejoin"));
    // The failed attempts and the rejoin mined blocks; none of them was served.
    assert_eq!(
        score(operator)["servedBlocks"].as_u64().unwrap(),
        before_leaving + 1,
        "the block of `leave` itself is the last one counted"
    );
    let stderr = fail(&mut operator_cmd("rejoin"));
    assert!(stderr.contains("OperatorHasNotLeft"), "{stderr}");
    ok(&mut operator_cmd("unregister"));
    let after = score(operator);
    assert_eq!(after["registered"], false);
    assert_eq!(after["score"], 0);
    let status = json(&ok(bin()
        .args(["status", "--json", "--rpc-url", &url])
        .arg("--deployment")
        .arg(&deployment_file)));
    assert_eq!(status["operators"].as_array().unwrap().len(), 0);
}
