//! Integration tests of `liveliness-keys`.

use std::{fs, path::Path};

use alloy::signers::{local::PrivateKeySigner, SignerSync};
use alloy_primitives::{address, keccak256};
use liveliness_bls::{verify, verify_with_g1, KeyPair};
use liveliness_keys::{
    generate, import_bls, import_ecdsa, load_bls, load_ecdsa, read_password_file, save_bls,
    save_ecdsa, show, Error, KdfStrength, KeyFiles, PublicInfo,
};
use serde_json::Value;

const PW: &str = "correct horse battery staple";
/// Most tests make throwaway keystores; one test checks the standard cost.
const LIGHT: KdfStrength = KdfStrength::InsecureTestOnly;

fn edit_json(path: &Path, f: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    f(&mut v);
    fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
}

#[test]
fn generate_load_and_show_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let files = generate(dir.path().join("keys"), PW, LIGHT).unwrap();
    assert_eq!(files, KeyFiles::in_dir(dir.path().join("keys")));

    let signer = load_ecdsa(&files.ecdsa_path, PW).unwrap();
    let bls = load_bls(&files.bls_path, PW).unwrap();
    assert_eq!(
        show(&files.ecdsa_path).unwrap(),
        PublicInfo::Ecdsa {
            address: signer.address()
        }
    );
    assert_eq!(
        show(&files.bls_path).unwrap(),
        PublicInfo::Bls {
            pk_g1: *bls.pk_g1(),
            pk_g2: *bls.pk_g2()
        }
    );

    // The loaded keys work: the ECDSA key signs, the BLS key signs verifiable votes.
    let msg = keccak256("vote");
    let sig = signer.sign_hash_sync(&msg).unwrap();
    assert_eq!(
        sig.recover_address_from_prehash(&msg).unwrap(),
        signer.address()
    );
    let vote = bls.sign(&msg);
    assert!(verify(bls.pk_g2(), &msg, &vote));
    assert!(verify_with_g1(bls.pk_g1(), bls.pk_g2(), &msg, &vote));

    // A second generate into the same directory refuses to overwrite.
    assert!(matches!(
        generate(dir.path().join("keys"), PW, LIGHT),
        Err(Error::AlreadyExists { .. })
    ));
    // Loading twice gives the same keys.
    assert_eq!(load_bls(&files.bls_path, PW).unwrap().pk_g2(), bls.pk_g2());

    // No temporary files are left behind.
    let mut names: Vec<_> = fs::read_dir(dir.path().join("keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["bls.json", "ecdsa.json"]);
}

#[test]
fn files_are_v3_with_public_fields_and_readable_by_alloy() {
    let dir = tempfile::tempdir().unwrap();
    let files = generate(dir.path(), PW, LIGHT).unwrap();
    let ecdsa: Value = serde_json::from_slice(&fs::read(&files.ecdsa_path).unwrap()).unwrap();
    let bls: Value = serde_json::from_slice(&fs::read(&files.bls_path).unwrap()).unwrap();
    assert_eq!(ecdsa["version"], 3);
    assert_eq!(ecdsa["keyType"], "secp256k1");
    assert_eq!(ecdsa["crypto"]["kdf"], "scrypt");
    assert_eq!(ecdsa["crypto"]["cipher"], "aes-128-ctr");
    assert_eq!(bls["keyType"], "bn254-bls");
    assert_eq!(bls["pubkeyG1"].as_str().unwrap().len(), 2 + 128);
    assert_eq!(bls["pubkeyG2"].as_str().unwrap().len(), 2 + 256);
    // The ECDSA file is an ordinary Ethereum keystore (what alloy's `decrypt_keystore` calls).
    let plain = eth_keystore::decrypt_key(&files.ecdsa_path, PW).unwrap();
    let via_plain = PrivateKeySigner::from_slice(&plain).unwrap();
    assert_eq!(
        via_plain.address(),
        load_ecdsa(&files.ecdsa_path, PW).unwrap().address()
    );
    assert_eq!(
        ecdsa["address"],
        alloy_primitives::hex::encode(via_plain.address())
    );
}

#[test]
fn import_known_keys() {
    let dir = tempfile::tempdir().unwrap();
    // anvil's first account.
    let path = dir.path().join("ecdsa.json");
    let addr = import_ecdsa(
        &path,
        " 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80\n",
        PW,
        LIGHT,
    )
    .unwrap();
    assert_eq!(addr, address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
    assert_eq!(load_ecdsa(&path, PW).unwrap().address(), addr);

    let path = dir.path().join("bls.json");
    let (g1, g2) = import_bls(
        &path,
        "1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef",
        PW,
        LIGHT,
    )
    .unwrap();
    assert_eq!(
        g1.to_string(),
        "0x19c1e4e5202ab724d766a7dd7534562e225d0e33c8ce19b697eb719d39954fdb\
         1c16dbebb5e86b0d5a9a8454af8c4faad6dea7d798144bbdd01631c592073b3b"
    );
    let kp = load_bls(&path, PW).unwrap();
    assert_eq!((*kp.pk_g1(), *kp.pk_g2()), (g1, g2));
    assert_eq!(
        alloy_primitives::hex::encode(*kp.sk().to_bytes()),
        "1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef"
    );
}

#[test]
fn bad_imports_are_refused_without_echoing_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k.json");
    for bad in ["", "0x12", "zz", &"ab".repeat(33)] {
        assert!(matches!(
            import_ecdsa(&p, bad, PW, LIGHT),
            Err(Error::InvalidSecretHex)
        ));
        assert!(matches!(
            import_bls(&p, bad, PW, LIGHT),
            Err(Error::InvalidSecretHex)
        ));
    }
    // Zero, and a BLS scalar not below r.
    let zero = "00".repeat(32);
    assert!(matches!(
        import_ecdsa(&p, &zero, PW, LIGHT),
        Err(Error::InvalidEcdsaKey)
    ));
    assert!(matches!(
        import_bls(&p, &zero, PW, LIGHT),
        Err(Error::InvalidBlsKey(_))
    ));
    let big = "ff".repeat(32);
    let err = import_bls(&p, &big, PW, LIGHT).unwrap_err();
    assert!(!err.to_string().contains(&big));
    assert!(matches!(
        import_bls(
            &p,
            "1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef",
            "",
            LIGHT
        ),
        Err(Error::EmptyPassword)
    ));
    assert!(!p.exists());
}

#[test]
fn wrong_password_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let files = generate(dir.path(), PW, LIGHT).unwrap();
    let err = load_bls(&files.bls_path, "wrong").unwrap_err();
    assert!(matches!(err, Error::WrongPassword { .. }), "{err:?}");
    assert!(err.to_string().starts_with("wrong password for keystore"));
    assert!(matches!(
        load_ecdsa(&files.ecdsa_path, "").unwrap_err(),
        Error::WrongPassword { .. }
    ));
}

#[test]
fn key_types_are_not_mixed_up() {
    let dir = tempfile::tempdir().unwrap();
    let files = generate(dir.path(), PW, LIGHT).unwrap();
    assert!(matches!(
        load_ecdsa(&files.bls_path, PW),
        Err(Error::WrongKeyType { .. })
    ));
    assert!(matches!(
        load_bls(&files.ecdsa_path, PW),
        Err(Error::WrongKeyType { .. })
    ));
}

#[test]
fn corrupted_files_are_clear_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let bls = dir.path().join("bls.json");
    save_bls(&bls, &KeyPair::random(&mut rand::thread_rng()), PW, LIGHT).unwrap();
    let pristine = fs::read(&bls).unwrap();

    type Edit = fn(&mut Value);
    let edits: &[(&str, Edit)] = &[
        ("short iv", |v| {
            v["crypto"]["cipherparams"]["iv"] = "00".into()
        }),
        ("short ciphertext", |v| {
            v["crypto"]["ciphertext"] = "0011".into()
        }),
        ("mac not hex", |v| v["crypto"]["mac"] = "zz".into()),
        ("dklen 16", |v| {
            v["crypto"]["kdfparams"]["dklen"] = 16.into()
        }),
        ("n not a power of two", |v| {
            v["crypto"]["kdfparams"]["n"] = 1000.into()
        }),
        ("n huge", |v| {
            v["crypto"]["kdfparams"]["n"] = (1u64 << 30).into()
        }),
        ("unknown kdf", |v| v["crypto"]["kdf"] = "argon2".into()),
        ("unknown cipher", |v| {
            v["crypto"]["cipher"] = "aes-256-gcm".into()
        }),
        ("version 4", |v| v["version"] = 4.into()),
        ("no crypto", |v| v["crypto"] = Value::Null),
        ("bad pubkey", |v| v["pubkeyG2"] = "0x1234".into()),
        ("no pubkey", |v| v["pubkeyG1"] = Value::Null),
    ];
    for (what, edit) in edits {
        fs::write(&bls, &pristine).unwrap();
        edit_json(&bls, edit);
        let err = load_bls(&bls, PW).unwrap_err();
        assert!(
            matches!(err, Error::Malformed { .. } | Error::Json { .. }),
            "{what}: {err:?}"
        );
    }

    // A flipped ciphertext byte fails the MAC, which reads as a wrong password.
    fs::write(&bls, &pristine).unwrap();
    edit_json(&bls, |v| {
        let c = v["crypto"]["ciphertext"].as_str().unwrap();
        let flipped = if c.starts_with('0') {
            c.replacen('0', "1", 1)
        } else {
            format!("0{}", &c[1..])
        };
        v["crypto"]["ciphertext"] = flipped.into();
    });
    assert!(matches!(
        load_bls(&bls, PW),
        Err(Error::WrongPassword { .. })
    ));

    // Cleartext public keys swapped for another valid key: caught after decryption.
    fs::write(&bls, &pristine).unwrap();
    let other = KeyPair::random(&mut rand::thread_rng());
    edit_json(&bls, |v| {
        v["pubkeyG1"] = serde_json::to_value(other.pk_g1()).unwrap();
        v["pubkeyG2"] = serde_json::to_value(other.pk_g2()).unwrap();
    });
    assert!(matches!(
        load_bls(&bls, PW),
        Err(Error::PublicKeyMismatch { .. })
    ));

    // Not JSON, empty, truncated, missing, too large.
    for bytes in [&b"not json"[..], b"", &pristine[..pristine.len() / 2]] {
        fs::write(&bls, bytes).unwrap();
        assert!(matches!(load_bls(&bls, PW), Err(Error::Json { .. })));
        assert!(show(&bls).is_err());
    }
    fs::write(&bls, vec![b' '; 100 * 1024]).unwrap();
    assert!(matches!(load_bls(&bls, PW), Err(Error::Malformed { .. })));
    assert!(matches!(
        load_bls(dir.path().join("missing.json"), PW),
        Err(Error::Io { .. })
    ));
}

#[test]
fn ecdsa_address_tampering_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ecdsa.json");
    import_ecdsa(&path, &"11".repeat(32), PW, LIGHT).unwrap();
    edit_json(&path, |v| {
        v["address"] = "f39fd6e51aad88f6f4ce6ab8827279cfffb92266".into()
    });
    assert!(matches!(
        load_ecdsa(&path, PW),
        Err(Error::PublicKeyMismatch { .. })
    ));
}

#[test]
fn plain_geth_keystores_load_as_ecdsa() {
    // A keystore as alloy / foundry write it (eth-keystore), with no keyType and no address.
    let dir = tempfile::tempdir().unwrap();
    let (secret, _id) =
        eth_keystore::new(dir.path(), &mut rand::thread_rng(), PW, Some("plain")).unwrap();
    let signer = PrivateKeySigner::from_slice(&secret).unwrap();
    let path = dir.path().join("plain");
    assert_eq!(load_ecdsa(&path, PW).unwrap().address(), signer.address());
    assert!(matches!(
        load_bls(&path, PW),
        Err(Error::WrongKeyType { .. })
    ));
    assert!(matches!(show(&path), Err(Error::Malformed { .. })));
}

#[cfg(unix)]
#[test]
fn files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let files = generate(dir.path().join("new"), PW, LIGHT).unwrap();
    for p in [&files.ecdsa_path, &files.bls_path] {
        assert_eq!(
            fs::metadata(p).unwrap().permissions().mode() & 0o777,
            0o600,
            "{p:?}"
        );
    }
    let dir_mode = fs::metadata(dir.path().join("new"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700);
}

#[test]
fn new_keystores_use_standard_scrypt_unless_told_otherwise() {
    // The one test that pays for the production cost: one derivation to write, one to read.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ecdsa.json");
    let signer = PrivateKeySigner::random();
    save_ecdsa(&path, &signer, PW, KdfStrength::default()).unwrap();
    let v: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let kdf = &v["crypto"]["kdfparams"];
    assert_eq!(v["crypto"]["kdf"], "scrypt");
    assert_eq!(kdf["n"], 1u64 << 18);
    assert_eq!(kdf["r"], 8);
    assert_eq!(kdf["p"], 1);
    assert_eq!(kdf["dklen"], 32);
    assert_eq!(kdf["salt"].as_str().unwrap().len(), 64);
    // geth parses `id` as a UUID.
    let id = v["id"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    assert_eq!(id.as_bytes()[14], b'4', "{id}");
    assert_eq!(load_ecdsa(&path, PW).unwrap().address(), signer.address());

    // The light cost is explicit, and visibly light in the file.
    let light = dir.path().join("light.json");
    save_ecdsa(&light, &signer, PW, LIGHT).unwrap();
    let v: Value = serde_json::from_slice(&fs::read(&light).unwrap()).unwrap();
    assert!(v["crypto"]["kdfparams"]["n"].as_u64().unwrap() < 1 << 18);
}

#[test]
fn generate_and_import_write_the_kdf_cost_they_are_given() {
    let dir = tempfile::tempdir().unwrap();
    let files = generate(dir.path(), PW, LIGHT).unwrap();
    let bls = dir.path().join("imported-bls.json");
    import_bls(&bls, &"12".repeat(32), PW, LIGHT).unwrap();
    for p in [&files.ecdsa_path, &files.bls_path, &bls] {
        let v: Value = serde_json::from_slice(&fs::read(p).unwrap()).unwrap();
        assert_eq!(v["crypto"]["kdfparams"]["n"], 1024, "{p:?}");
    }
}

#[test]
fn password_file_first_line_is_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pw");
    for (text, expected) in [
        ("secret", "secret"),
        ("secret\n", "secret"),
        ("secret\r\nignored\n", "secret"),
        ("  spaces kept  \n", "  spaces kept  "),
    ] {
        write_private(&path, text);
        assert_eq!(read_password_file(&path).unwrap(), expected, "{text:?}");
    }
    for text in ["", "\n", "\nsecond line\n"] {
        write_private(&path, text);
        let err = read_password_file(&path).unwrap_err();
        assert!(matches!(err, Error::EmptyPasswordFile { .. }), "{err:?}");
        assert!(err.to_string().contains("is empty"), "{err}");
    }
    assert!(matches!(
        read_password_file(dir.path().join("missing")),
        Err(Error::Io { .. })
    ));
}

fn write_private(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn password_files_others_can_access_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("password.txt");
    fs::write(&path, "secret\n").unwrap();
    let set = |mode| fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();

    for mode in [
        0o644, 0o640, 0o604, 0o620, 0o602, 0o610, 0o601, 0o666, 0o777,
    ] {
        set(mode);
        let err = read_password_file(&path).unwrap_err();
        assert!(
            matches!(err, Error::PasswordFileNotPrivate { mode: m, .. } if m == mode),
            "{mode:o}: {err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains(&path.display().to_string())
                && msg.contains(&format!("{mode:04o}"))
                && msg.contains(&format!("chmod 600 {}", path.display())),
            "{msg}"
        );
    }
    for mode in [0o600, 0o400, 0o700] {
        set(mode);
        assert_eq!(read_password_file(&path).unwrap(), "secret", "{mode:o}");
    }

    // Through a link, the file's own mode counts, not the link's.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    set(0o644);
    assert!(matches!(
        read_password_file(&link),
        Err(Error::PasswordFileNotPrivate { .. })
    ));
    set(0o600);
    assert_eq!(read_password_file(&link).unwrap(), "secret");
}
