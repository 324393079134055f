//! Reading the raw KDD Cup 99 data (`kddcup.data_10_percent.gz` and `kddcup.names`).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::GzDecoder;
use ndarray::Array2;

use crate::{BenchError, Result};

/// The 18 continuous columns alibi-detect's KDD example keeps.
pub const ALIBI_COLUMNS: [&str; 18] = [
    "srv_count",
    "serror_rate",
    "srv_serror_rate",
    "rerror_rate",
    "srv_rerror_rate",
    "same_srv_rate",
    "diff_srv_rate",
    "srv_diff_host_rate",
    "dst_host_count",
    "dst_host_srv_count",
    "dst_host_same_srv_rate",
    "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate",
    "dst_host_srv_diff_host_rate",
    "dst_host_serror_rate",
    "dst_host_srv_serror_rate",
    "dst_host_rerror_rate",
    "dst_host_srv_rerror_rate",
];

/// Selected numeric columns of the KDD rows plus their labels.
#[derive(Debug, Clone)]
pub struct KddTable {
    /// `N x C` feature values, in the order of the requested column names.
    pub x: Array2<f64>,
    /// The raw label of each row without its trailing dot, e.g. `normal` or `smurf`.
    pub labels: Vec<String>,
}

impl KddTable {
    /// 1 for every attack row, 0 for `normal` (alibi-detect's convention).
    pub fn attack_targets(&self) -> Vec<u8> {
        self.labels
            .iter()
            .map(|l| u8::from(l != "normal"))
            .collect()
    }
}

/// The 41 feature names of `kddcup.names`, in column order.
pub fn feature_names(names_file: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(names_file).map_err(|source| BenchError::Io {
        path: names_file.into(),
        source,
    })?;
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim().to_string()))
        .collect())
}

/// Reads `columns` (by name, numeric ones) and the labels of every row of the gzipped CSV
/// `data_file`, using the column order of `names_file`.
pub fn read_columns(data_file: &Path, names_file: &Path, columns: &[&str]) -> Result<KddTable> {
    let names = feature_names(names_file)?;
    let index: Vec<usize> = columns
        .iter()
        .map(|c| {
            names.iter().position(|n| n == c).ok_or_else(|| {
                BenchError::Other(format!("column {c} is not in {}", names_file.display()))
            })
        })
        .collect::<Result<_>>()?;

    let file = File::open(data_file).map_err(|source| BenchError::Io {
        path: data_file.into(),
        source,
    })?;
    let reader = BufReader::new(GzDecoder::new(file));
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|source| BenchError::Io {
            path: data_file.into(),
            source,
        })?;
        let fields: Vec<&str> = line.split(',').collect();
        let bad = |msg: String| BenchError::Format {
            path: data_file.into(),
            line: i + 1,
            msg,
        };
        if fields.len() != names.len() + 1 {
            return Err(bad(format!(
                "{} fields, expected {}",
                fields.len(),
                names.len() + 1
            )));
        }
        for &j in &index {
            let v: f64 = fields[j].parse().map_err(|_| {
                bad(format!(
                    "column {} is not a number: {:?}",
                    names[j], fields[j]
                ))
            })?;
            values.push(v);
        }
        labels.push(fields[names.len()].trim_end_matches('.').to_string());
    }
    let x = Array2::from_shape_vec((labels.len(), columns.len()), values)
        .map_err(|e| BenchError::Other(e.to_string()))?;
    Ok(KddTable { x, labels })
}

/// The symbolic columns one-hot encoded by the DAGMM paper's preprocessing.
pub const SYMBOLIC_COLUMNS: [&str; 3] = ["protocol_type", "service", "flag"];

/// Every row of the gzipped CSV `data_file` with the symbolic columns one-hot encoded
/// (categories in sorted order, as `pandas.get_dummies` makes them, `protocol_type` first,
/// then `service`, then `flag`), followed by the 38 other columns in file order, unscaled.
pub fn read_one_hot(data_file: &Path, names_file: &Path) -> Result<KddTable> {
    let names = feature_names(names_file)?;
    let symbolic: Vec<usize> = SYMBOLIC_COLUMNS
        .iter()
        .map(|c| {
            names
                .iter()
                .position(|n| n == c)
                .expect("kddcup.names lists the symbolic columns")
        })
        .collect();
    let numeric: Vec<usize> = (0..names.len()).filter(|i| !symbolic.contains(i)).collect();

    let file = File::open(data_file).map_err(|source| BenchError::Io {
        path: data_file.into(),
        source,
    })?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (i, line) in BufReader::new(GzDecoder::new(file)).lines().enumerate() {
        let line = line.map_err(|source| BenchError::Io {
            path: data_file.into(),
            source,
        })?;
        let fields: Vec<String> = line.split(',').map(String::from).collect();
        if fields.len() != names.len() + 1 {
            return Err(BenchError::Format {
                path: data_file.into(),
                line: i + 1,
                msg: format!("{} fields, expected {}", fields.len(), names.len() + 1),
            });
        }
        rows.push(fields);
    }

    let categories: Vec<Vec<String>> = symbolic
        .iter()
        .map(|&c| {
            let mut values: Vec<String> = rows.iter().map(|r| r[c].clone()).collect();
            values.sort();
            values.dedup();
            values
        })
        .collect();
    let width = categories.iter().map(Vec::len).sum::<usize>() + numeric.len();
    let mut x = Array2::zeros((rows.len(), width));
    let mut labels = Vec::with_capacity(rows.len());
    for (i, fields) in rows.iter().enumerate() {
        let mut offset = 0;
        for (cats, &c) in categories.iter().zip(&symbolic) {
            let k = cats.binary_search(&fields[c]).expect("category seen above");
            x[[i, offset + k]] = 1.0;
            offset += cats.len();
        }
        for (j, &c) in numeric.iter().enumerate() {
            x[[i, offset + j]] = fields[c].parse().map_err(|_| BenchError::Format {
                path: data_file.into(),
                line: i + 1,
                msg: format!("column {} is not a number: {:?}", names[c], fields[c]),
            })?;
        }
        labels.push(fields[names.len()].trim_end_matches('.').to_string());
    }
    Ok(KddTable { x, labels })
}

/// The 0/1 columns that the common DAGMM preprocessing (`kdd_cup.npz`) leaves unscaled.
pub const BINARY_COLUMNS: [&str; 7] = [
    "land",
    "logged_in",
    "root_shell",
    "su_attempted",
    "num_outbound_cmds",
    "is_host_login",
    "is_guest_login",
];

/// The array most DAGMM reimplementations train on (`data/kddcup99_dagmm/kdd_cup.npz`),
/// rebuilt from a [`read_one_hot`] table: the continuous columns min-max scaled with the
/// minimum and maximum of *all* attack rows, the one-hot and [`BINARY_COLUMNS`] as they are,
/// and a last column holding 1 for `normal` rows. The paper protocol here scales differently
/// (every column, with the training rows of each split only); this exists to show that the
/// encoding itself matches.
pub fn dagmm_npz_layout(table: &KddTable, names_file: &Path) -> Result<Array2<f64>> {
    let names = feature_names(names_file)?;
    let numeric: Vec<&String> = names
        .iter()
        .filter(|n| !SYMBOLIC_COLUMNS.contains(&n.as_str()))
        .collect();
    let (rows, width) = table.x.dim();
    let offset = width.checked_sub(numeric.len()).ok_or_else(|| {
        BenchError::Other(format!(
            "the table has {width} columns, fewer than the {} numeric ones",
            numeric.len()
        ))
    })?;
    let attack: Vec<usize> = (0..rows).filter(|&i| table.labels[i] != "normal").collect();
    let mut out = Array2::zeros((rows, width + 1));
    out.slice_mut(ndarray::s![.., ..width]).assign(&table.x);
    for (j, name) in numeric.iter().enumerate() {
        if BINARY_COLUMNS.contains(&name.as_str()) {
            continue;
        }
        let col = offset + j;
        let (min, max) = attack
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &i| {
                (lo.min(table.x[[i, col]]), hi.max(table.x[[i, col]]))
            });
        let range = max - min;
        if range > 0.0 {
            out.column_mut(col).mapv_inplace(|v| (v - min) / range);
        }
    }
    for (i, label) in table.labels.iter().enumerate() {
        out[[i, width]] = f64::from(u8::from(label == "normal"));
    }
    Ok(out)
}
