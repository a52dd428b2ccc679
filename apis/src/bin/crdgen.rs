//! Writes every CRD to a directory (default `config/crd/bases`), one file per
//! kind, and removes stale generated files. With `--check`, writes nothing and
//! exits non-zero if the directory differs from what the types generate.

use std::{collections::BTreeMap, fs, path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut check = false;
    let mut dir = PathBuf::from("config/crd/bases");
    while let Some(a) = args.next() {
        match a.as_str() {
            "--check" => check = true,
            "--dir" => dir = args.next().expect("--dir needs a path").into(),
            other => {
                eprintln!("crdgen: unknown argument {other}; usage: crdgen [--check] [--dir DIR]");
                return ExitCode::from(2);
            }
        }
    }
    let want: BTreeMap<String, String> =
        apis::crd::all().iter().map(|crd| (apis::crd::file_name(crd), apis::crd::to_yaml(crd))).collect();
    let diff = apis::crd::diff_dir(&dir, &want);
    if check {
        if diff.is_empty() {
            return ExitCode::SUCCESS;
        }
        for d in diff {
            eprintln!("crdgen: {d}");
        }
        eprintln!("crdgen: {} is stale; run `make crds`", dir.display());
        return ExitCode::FAILURE;
    }
    fs::create_dir_all(&dir).expect("create the CRD directory");
    for (name, yaml) in &want {
        fs::write(dir.join(name), yaml).expect("write a CRD");
    }
    for d in diff {
        if let apis::crd::Drift::Extra(name) = d {
            fs::remove_file(dir.join(name)).expect("remove a stale CRD");
        }
    }
    println!("crdgen: wrote {} CRDs to {}", want.len(), dir.display());
    ExitCode::SUCCESS
}
