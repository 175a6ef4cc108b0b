//! `liveliness keys …`: generate, import and show the encrypted keystores.

use crate::{
    chain::password,
    cli::{GenerateArgs, ImportArgs, KeysCommand, ShowArgs},
    output,
};
use eyre::{bail, eyre, Result, WrapErr};
use liveliness_keys::{KdfStrength, KeyFiles, PublicInfo};
use std::path::{Path, PathBuf};

/// Keystores made by the CLI are operators' real keys: always geth's standard scrypt cost.
const KDF: KdfStrength = KdfStrength::Standard;

/// Runs a `keys` subcommand.
pub fn run(command: KeysCommand) -> Result<()> {
    match command {
        KeysCommand::Generate(args) => generate(args),
        KeysCommand::Import(args) => import(args),
        KeysCommand::Show(args) => show(args),
    }
}

fn generate(args: GenerateArgs) -> Result<()> {
    let password = password(&args.password)?;
    let files = liveliness_keys::generate(&args.dir, password, KDF)
        .wrap_err_with(|| format!("cannot create keystores in {}", args.dir.display()))?;
    tracing::info!(dir = %args.dir.display(), "generated the ECDSA and BLS keystores");
    print_files(&files, "generated", "generated")
}

/// What happened to one of the two keystores during an import.
const IMPORTED: &str = "imported";
const GENERATED: &str = "generated: no secret given";
const KEPT: &str = "kept: it already existed";

fn import(args: ImportArgs) -> Result<()> {
    let ecdsa = secret(
        "ECDSA",
        args.ecdsa_key_file.as_deref(),
        args.ecdsa_key_env.as_deref(),
    )?;
    let bls = secret(
        "BLS",
        args.bls_key_file.as_deref(),
        args.bls_key_env.as_deref(),
    )?;
    if ecdsa.is_none() && bls.is_none() {
        bail!(
            "nothing to import: give --ecdsa-key-file/--ecdsa-key-env and/or \
             --bls-key-file/--bls-key-env"
        );
    }
    let password = password(&args.password)?;
    let files = KeyFiles::in_dir(&args.dir);
    let exists = |p: &PathBuf| p.exists();
    // Refuse before writing anything, so a failed import leaves the directory as it was.
    for (given, path) in [(&ecdsa, &files.ecdsa_path), (&bls, &files.bls_path)] {
        if given.is_some() && exists(path) {
            bail!(
                "{} already exists; refusing to overwrite a key",
                path.display()
            );
        }
    }

    let ecdsa_done = match &ecdsa {
        Some(hex) => {
            liveliness_keys::import_ecdsa(&files.ecdsa_path, hex, &password, KDF)
                .wrap_err("cannot import the ECDSA key")?;
            IMPORTED
        }
        None if exists(&files.ecdsa_path) => KEPT,
        None => {
            let signer =
                alloy::signers::local::PrivateKeySigner::random_with(&mut rand::rngs::OsRng);
            liveliness_keys::save_ecdsa(&files.ecdsa_path, &signer, &password, KDF)
                .wrap_err("cannot create the ECDSA keystore")?;
            GENERATED
        }
    };
    let bls_result = match &bls {
        Some(hex) => liveliness_keys::import_bls(&files.bls_path, hex, &password, KDF)
            .map(|_| IMPORTED)
            .wrap_err("cannot import the BLS key"),
        None if exists(&files.bls_path) => Ok(KEPT),
        None => generate_bls(&files.bls_path, &password).map(|()| GENERATED),
    };
    let bls_done = match bls_result {
        Ok(done) => done,
        Err(e) => {
            // Leave nothing half-made: remove the ECDSA keystore this command just wrote.
            if ecdsa_done != KEPT {
                let _ = std::fs::remove_file(&files.ecdsa_path);
            }
            return Err(e);
        }
    };
    tracing::info!(dir = %args.dir.display(), ecdsa = ecdsa_done, bls = bls_done, "keys imported");
    print_files(&files, ecdsa_done, bls_done)
}

/// A fresh BLS key from the operating system's generator, in a new keystore at `path`.
fn generate_bls(path: &Path, password: &str) -> Result<()> {
    let keys = liveliness_bls::KeyPair::random(&mut rand::rngs::OsRng);
    liveliness_keys::save_bls(path, &keys, password, KDF)
        .wrap_err("cannot create the BLS keystore")?;
    Ok(())
}

/// A secret given by file or environment variable (the command line never carries secrets).
fn secret(kind: &str, file: Option<&Path>, env: Option<&str>) -> Result<Option<String>> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("cannot read the {kind} key file {}", path.display()))?;
        return Ok(Some(text.trim().to_owned()));
    }
    if let Some(var) = env {
        let value = std::env::var(var)
            .map_err(|_| eyre!("the environment variable {var} (the {kind} key) is not set"))?;
        return Ok(Some(value.trim().to_owned()));
    }
    Ok(None)
}

fn print_files(files: &KeyFiles, ecdsa_done: &str, bls_done: &str) -> Result<()> {
    let ecdsa = liveliness_keys::show(&files.ecdsa_path)?;
    let bls = liveliness_keys::show(&files.bls_path)?;
    let mut rows = vec![
        (
            "ECDSA keystore".to_owned(),
            format!("{} ({ecdsa_done})", files.ecdsa_path.display()),
        ),
        (
            "BLS keystore".to_owned(),
            format!("{} ({bls_done})", files.bls_path.display()),
        ),
    ];
    rows.extend(info_rows(&ecdsa));
    rows.extend(info_rows(&bls));
    print!("{}", output::key_values(&rows));
    Ok(())
}

fn info_rows(info: &PublicInfo) -> Vec<(String, String)> {
    match info {
        PublicInfo::Ecdsa { address } => {
            vec![("operator address".to_owned(), address.to_string())]
        }
        PublicInfo::Bls { pk_g1, pk_g2 } => vec![
            ("BLS public key G1".to_owned(), pk_g1.to_string()),
            ("BLS public key G2".to_owned(), pk_g2.to_string()),
        ],
    }
}

fn show(args: ShowArgs) -> Result<()> {
    let info = liveliness_keys::show(&args.keystore)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(());
    }
    let kind = match info {
        PublicInfo::Ecdsa { .. } => "ECDSA (secp256k1)",
        PublicInfo::Bls { .. } => "BLS (BN254)",
    };
    let mut rows = vec![
        ("keystore".to_owned(), args.keystore.display().to_string()),
        ("key type".to_owned(), kind.to_owned()),
    ];
    rows.extend(info_rows(&info));
    print!("{}", output::key_values(&rows));
    Ok(())
}
