//! Saving a fitted detector to one file and loading it back.
//!
//! The file is a standard safetensors file. Its tensors are the network weights (named
//! `net.` + their `VarStore` name, in their own dtype), the fitted mixture (`mixture.phi`,
//! `mixture.mu`, `mixture.cov`, `mixture.chol`, `mixture.log_det`, `mixture.jitter`,
//! `mixture.eps`, all `f64`) and, when the detector has one, the input scaling
//! (`scaling.mean`, `scaling.std`, `f64`). Its metadata holds `format` (`"aegmm"`),
//! `format_version`, `library_version` and `config`, a JSON document with the input shape,
//! the settings, the kind of networks and reconstruction features, and the threshold.
//!
//! Everything is stored bit for bit, so a loaded detector scores every row exactly as the
//! saved one did (on the same device and libtorch). The file is written to a temporary file
//! in the same folder and renamed over the target, so a reader never sees half a file.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use aegmm_gmm::GmmParams;
use aegmm_nn::{ConvLayout, ImageFormat, ReconFeatures, TabularLayout};
use ndarray::{Array1, Array2, Array3};
use safetensors::tensor::{Dtype, SafeTensors, TensorView, View};
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use crate::config::AegmmConfig;
use crate::detector::OutlierAegmm;
use crate::networks::Networks;
use crate::scaling::InputScaling;
use crate::{AegmmError, Result};

/// The version of the file layout this library writes and reads.
pub const FORMAT_VERSION: u32 = 1;

const FORMAT_NAME: &str = "aegmm";
const NET_PREFIX: &str = "net.";
const MIXTURE_PARTS: [&str; 7] = ["phi", "mu", "cov", "chol", "log_det", "jitter", "eps"];

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// What a load needs besides the file: the device, and the user code a detector was saved
/// with (user networks and a user reconstruction-feature function cannot be stored).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Where the networks run (default CPU).
    pub device: Option<Device>,
    /// The same [`Networks::Custom`] or [`Networks::Joint`] builders the detector was built
    /// with; required for such a detector, ignored otherwise.
    pub networks: Option<Networks>,
    /// The same [`ReconFeatures::Custom`] function (same width) the detector was built with;
    /// required for such a detector, ignored otherwise.
    pub recon_features: Option<ReconFeatures>,
}

/// The kind of networks, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SavedNetworks {
    Dense,
    Conv(ConvLayout),
    Custom,
    Joint,
}

/// The kind of reconstruction features, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SavedRecon {
    RelativeDistanceCosine,
    MseCosine,
    EuclideanCosine,
    Custom { width: usize },
}

/// The `config` metadata entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedConfig {
    input_shape: Vec<usize>,
    n_gmm: usize,
    layout: TabularLayout,
    networks: SavedNetworks,
    recon_features: SavedRecon,
    image_format: ImageFormat,
    eps: f64,
    data_type: Option<String>,
    score_batch_size: usize,
    seed: u64,
    input_scaling: bool,
    threshold: Option<f64>,
}

/// A tensor's bytes ready for the safetensors writer.
struct Blob {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl View for &Blob {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        (&self.bytes[..]).into()
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

impl Blob {
    fn from_tensor(t: &Tensor) -> Result<Self> {
        let t = t.detach().to_device(Device::Cpu).contiguous();
        let dtype = Dtype::try_from(t.kind())?;
        let numel = t.numel();
        let mut bytes = vec![0u8; numel * t.kind().elt_size_in_bytes()];
        t.f_copy_data_u8(&mut bytes, numel)?;
        Ok(Self {
            dtype,
            shape: t.size().iter().map(|&s| s as usize).collect(),
            bytes,
        })
    }

    fn from_f64(values: &[f64], shape: &[usize]) -> Self {
        Self {
            dtype: Dtype::F64,
            shape: shape.to_vec(),
            bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        }
    }
}

impl OutlierAegmm {
    /// Saves the fitted detector to the single file `path` (a safetensors file; see the
    /// module documentation for its layout), atomically: a temporary file in the same
    /// folder, renamed over `path` once complete.
    ///
    /// User networks and a user feature function are not stored: loading such a detector
    /// needs the same builders again ([`LoadOptions`]).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let gmm = self.gmm.as_ref().ok_or(AegmmError::NotFitted)?;
        let mut blobs: Vec<(String, Blob)> = Vec::new();
        for (name, var) in self.vs.variables() {
            blobs.push((format!("{NET_PREFIX}{name}"), Blob::from_tensor(&var)?));
        }
        blobs.extend(mixture_blobs(gmm));
        if let Some(scaling) = &self.config.input_scaling {
            let f = [scaling.len()];
            blobs.push(("scaling.mean".into(), Blob::from_f64(&scaling.mean, &f)));
            blobs.push(("scaling.std".into(), Blob::from_f64(&scaling.std, &f)));
        }

        let config = serde_json::to_string(&self.saved_config())
            .map_err(|e| AegmmError::Config(format!("cannot encode the configuration: {e}")))?;
        let metadata = HashMap::from([
            ("format".to_string(), FORMAT_NAME.to_string()),
            ("format_version".to_string(), FORMAT_VERSION.to_string()),
            (
                "library_version".to_string(),
                env!("CARGO_PKG_VERSION").to_string(),
            ),
            ("config".to_string(), config),
        ]);
        let bytes = safetensors::tensor::serialize(
            blobs.iter().map(|(name, blob)| (name.as_str(), blob)),
            &Some(metadata),
        )
        .map_err(|e| AegmmError::Config(format!("cannot encode the tensors: {e:?}")))?;
        write_atomically(path, &bytes)
    }

    /// Loads a detector saved by [`Self::save`] with the default [`LoadOptions`] (CPU, the
    /// default networks and features).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Self::load_with(path, LoadOptions::default())
    }

    /// Loads a detector saved by [`Self::save`].
    ///
    /// Refuses, each with its own error naming the file: a file that is not a saved detector
    /// or is damaged ([`AegmmError::CorruptSave`]), another format version
    /// ([`AegmmError::FormatVersion`]), a missing part ([`AegmmError::IncompleteSave`]),
    /// weights that are missing, extra or of another shape or dtype for the networks
    /// ([`AegmmError::WeightsMismatch`]), and a detector with user networks or features when
    /// `options` does not bring them ([`AegmmError::NeedsUserParts`]).
    pub fn load_with(path: impl AsRef<Path>, options: LoadOptions) -> Result<Self> {
        let path = path.as_ref();
        let bytes = fs::read(path).map_err(|source| AegmmError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        let corrupt = |detail: String| AegmmError::CorruptSave {
            path: path.to_path_buf(),
            detail,
        };
        let (_, header) = SafeTensors::read_metadata(&bytes)
            .map_err(|e| corrupt(format!("no valid safetensors header ({e:?})")))?;
        let tensors = SafeTensors::deserialize(&bytes)
            .map_err(|e| corrupt(format!("the tensor data is damaged or cut short ({e:?})")))?;
        let empty = HashMap::new();
        let metadata = header.metadata().as_ref().unwrap_or(&empty);

        let saved = read_header(path, metadata)?;
        let config = saved.to_config(path, options)?;
        let mut detector = OutlierAegmm::with_shape(&saved.input_shape, config)?;
        let file = SavedTensors { path, tensors };
        file.load_weights(&detector)?;
        detector.gmm = Some(file.mixture(&saved, detector.net.mixture_dim())?);
        if saved.input_scaling {
            let scaling = InputScaling {
                mean: file.f64_vector("scaling.mean")?,
                std: file.f64_vector("scaling.std")?,
            };
            scaling
                .validate(saved.input_shape.iter().product())
                .map_err(|e| corrupt(format!("its input scaling is unusable: {e}")))?;
            detector.config.input_scaling = Some(scaling);
        }
        detector.threshold = saved.threshold;
        Ok(detector)
    }

    fn saved_config(&self) -> SavedConfig {
        let c = &self.config;
        SavedConfig {
            input_shape: self.row_shape.clone(),
            n_gmm: c.n_gmm,
            layout: c.layout.clone(),
            networks: match &c.networks {
                Networks::Dense => SavedNetworks::Dense,
                Networks::Conv(layout) => SavedNetworks::Conv(layout.clone()),
                Networks::Custom { .. } => SavedNetworks::Custom,
                Networks::Joint(_) => SavedNetworks::Joint,
            },
            recon_features: match &c.recon_features {
                ReconFeatures::RelativeDistanceCosine => SavedRecon::RelativeDistanceCosine,
                ReconFeatures::MseCosine => SavedRecon::MseCosine,
                ReconFeatures::EuclideanCosine => SavedRecon::EuclideanCosine,
                ReconFeatures::Custom { width, .. } => SavedRecon::Custom { width: *width },
            },
            image_format: c.image_format,
            eps: c.eps,
            data_type: c.data_type.clone(),
            score_batch_size: c.score_batch_size,
            seed: c.seed,
            input_scaling: c.input_scaling.is_some(),
            threshold: self.threshold,
        }
    }
}

fn mixture_blobs(gmm: &GmmParams) -> Vec<(String, Blob)> {
    let (k, d) = (gmm.n_components(), gmm.dim());
    let parts = [
        ("phi", gmm.phi.to_vec(), vec![k]),
        ("mu", gmm.mu.iter().copied().collect(), vec![k, d]),
        ("cov", gmm.cov.iter().copied().collect(), vec![k, d, d]),
        ("chol", gmm.chol.iter().copied().collect(), vec![k, d, d]),
        ("log_det", gmm.log_det.to_vec(), vec![k]),
        ("jitter", gmm.jitter.to_vec(), vec![k]),
        ("eps", vec![gmm.eps], vec![1]),
    ];
    parts
        .into_iter()
        .map(|(name, values, shape)| (format!("mixture.{name}"), Blob::from_f64(&values, &shape)))
        .collect()
}

/// Checks the metadata's format marker and version and parses the configuration.
fn read_header(path: &Path, metadata: &HashMap<String, String>) -> Result<SavedConfig> {
    let missing = |what: &str| AegmmError::IncompleteSave {
        path: path.to_path_buf(),
        missing: format!("the metadata entry {what:?}"),
    };
    match metadata.get("format") {
        Some(name) if name == FORMAT_NAME => {}
        Some(other) => {
            return Err(AegmmError::CorruptSave {
                path: path.to_path_buf(),
                detail: format!("its format is {other:?}, not {FORMAT_NAME:?}"),
            })
        }
        None if metadata.is_empty() => {
            return Err(AegmmError::CorruptSave {
                path: path.to_path_buf(),
                detail: "it is a safetensors file without aegmm metadata".into(),
            })
        }
        None => return Err(missing("format")),
    }
    let version = metadata
        .get("format_version")
        .ok_or_else(|| missing("format_version"))?;
    if version.trim() != FORMAT_VERSION.to_string() {
        return Err(AegmmError::FormatVersion {
            path: path.to_path_buf(),
            found: version.clone(),
            supported: FORMAT_VERSION,
        });
    }
    let config = metadata.get("config").ok_or_else(|| missing("config"))?;
    serde_json::from_str(config).map_err(|e| {
        if e.to_string().starts_with("missing field") {
            AegmmError::IncompleteSave {
                path: path.to_path_buf(),
                missing: format!("a setting of the configuration ({e})"),
            }
        } else {
            AegmmError::CorruptSave {
                path: path.to_path_buf(),
                detail: format!("its configuration is not valid ({e})"),
            }
        }
    })
}

impl SavedConfig {
    /// The detector configuration, with the device and user code from `options`.
    fn to_config(&self, path: &Path, options: LoadOptions) -> Result<AegmmConfig> {
        let needs = |what| AegmmError::NeedsUserParts {
            path: path.to_path_buf(),
            what,
        };
        let networks = match (&self.networks, options.networks) {
            (SavedNetworks::Dense, _) => Networks::Dense,
            (SavedNetworks::Conv(layout), _) => Networks::Conv(layout.clone()),
            (SavedNetworks::Custom, Some(n @ Networks::Custom { .. })) => n,
            (SavedNetworks::Custom, _) => {
                return Err(needs(
                    "encoder, decoder and density builders (Networks::Custom)",
                ))
            }
            (SavedNetworks::Joint, Some(n @ Networks::Joint(_))) => n,
            (SavedNetworks::Joint, _) => {
                return Err(needs("whole-model builder (Networks::Joint)"))
            }
        };
        let recon_features = match (&self.recon_features, options.recon_features) {
            (SavedRecon::RelativeDistanceCosine, _) => ReconFeatures::RelativeDistanceCosine,
            (SavedRecon::MseCosine, _) => ReconFeatures::MseCosine,
            (SavedRecon::EuclideanCosine, _) => ReconFeatures::EuclideanCosine,
            (SavedRecon::Custom { width }, Some(r @ ReconFeatures::Custom { .. }))
                if r.width() == *width =>
            {
                r
            }
            (SavedRecon::Custom { .. }, _) => {
                return Err(needs(
                    "reconstruction-feature function (ReconFeatures::Custom, same width)",
                ))
            }
        };
        Ok(AegmmConfig {
            n_gmm: self.n_gmm,
            layout: self.layout.clone(),
            networks,
            recon_features,
            image_format: self.image_format,
            input_scaling: None,
            eps: self.eps,
            threshold: self.threshold,
            data_type: self.data_type.clone(),
            score_batch_size: self.score_batch_size,
            device: options.device.unwrap_or(Device::Cpu),
            seed: self.seed,
        })
    }
}

/// The tensors of a file being loaded.
struct SavedTensors<'a> {
    path: &'a Path,
    tensors: SafeTensors<'a>,
}

impl SavedTensors<'_> {
    fn get(&self, name: &str) -> Result<TensorView<'_>> {
        self.tensors
            .tensor(name)
            .map_err(|_| AegmmError::IncompleteSave {
                path: self.path.to_path_buf(),
                missing: format!("the tensor {name:?}"),
            })
    }

    fn corrupt(&self, detail: String) -> AegmmError {
        AegmmError::CorruptSave {
            path: self.path.to_path_buf(),
            detail,
        }
    }

    /// An `f64` tensor's values and shape.
    fn f64_values(&self, name: &str) -> Result<(Vec<f64>, Vec<usize>)> {
        let view = self.get(name)?;
        if view.dtype() != Dtype::F64 {
            return Err(self.corrupt(format!("{name} is {:?}, not F64", view.dtype())));
        }
        let values = view
            .data()
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .collect();
        Ok((values, view.shape().to_vec()))
    }

    fn f64_vector(&self, name: &str) -> Result<Vec<f64>> {
        Ok(self.f64_values(name)?.0)
    }

    /// An `f64` tensor that must have shape `shape`.
    fn f64_shaped(&self, name: &str, shape: &[usize]) -> Result<Vec<f64>> {
        let (values, got) = self.f64_values(name)?;
        if got != shape {
            return Err(self.corrupt(format!(
                "{name} has shape {got:?}; the configuration needs {shape:?}"
            )));
        }
        Ok(values)
    }

    /// Copies every network weight from the file into the detector's `VarStore`, after
    /// checking that names, dtypes and shapes match exactly.
    fn load_weights(&self, detector: &OutlierAegmm) -> Result<()> {
        let vars = detector.vs.variables();
        let in_file: Vec<String> = self
            .tensors
            .names()
            .into_iter()
            .filter_map(|n| n.strip_prefix(NET_PREFIX).map(String::from))
            .collect();
        let mut problems = Vec::new();
        let mut missing: Vec<&String> = vars.keys().filter(|n| !in_file.contains(n)).collect();
        missing.sort();
        if !missing.is_empty() {
            problems.push(format!("missing from the file: {missing:?}"));
        }
        let mut extra: Vec<&String> = in_file.iter().filter(|n| !vars.contains_key(*n)).collect();
        extra.sort();
        if !extra.is_empty() {
            problems.push(format!("in the file but not in the networks: {extra:?}"));
        }
        let mut names: Vec<&String> = vars.keys().filter(|n| in_file.contains(n)).collect();
        names.sort();
        for name in &names {
            let view = self.get(&format!("{NET_PREFIX}{name}"))?;
            let var = &vars[*name];
            let want: Vec<usize> = var.size().iter().map(|&s| s as usize).collect();
            let want_dtype = Dtype::try_from(var.kind())?;
            if view.shape() != want || view.dtype() != want_dtype {
                problems.push(format!(
                    "{name} is {:?} {:?} in the file, {want_dtype:?} {want:?} in the networks",
                    view.dtype(),
                    view.shape()
                ));
            }
        }
        if !problems.is_empty() {
            return Err(AegmmError::WeightsMismatch {
                path: self.path.to_path_buf(),
                detail: problems.join("; "),
            });
        }
        for name in names {
            let view = self.get(&format!("{NET_PREFIX}{name}"))?;
            let shape: Vec<i64> = view.shape().iter().map(|&s| s as i64).collect();
            let kind = Kind::try_from(view.dtype())?;
            let src = Tensor::f_from_data_size(view.data(), &shape, kind)?;
            let mut var = vars[name].shallow_clone();
            tch::no_grad(|| var.f_copy_(&src))?;
        }
        Ok(())
    }

    /// The fitted mixture, checked against `n_gmm` and the mixture dimension `d`.
    fn mixture(&self, saved: &SavedConfig, d: usize) -> Result<GmmParams> {
        for part in MIXTURE_PARTS {
            self.get(&format!("mixture.{part}"))?;
        }
        let k = saved.n_gmm;
        let shape_err = |e: ndarray::ShapeError| self.corrupt(format!("mixture shape: {e}"));
        let gmm = GmmParams {
            phi: Array1::from(self.f64_shaped("mixture.phi", &[k])?),
            mu: Array2::from_shape_vec((k, d), self.f64_shaped("mixture.mu", &[k, d])?)
                .map_err(shape_err)?,
            cov: Array3::from_shape_vec((k, d, d), self.f64_shaped("mixture.cov", &[k, d, d])?)
                .map_err(shape_err)?,
            chol: Array3::from_shape_vec((k, d, d), self.f64_shaped("mixture.chol", &[k, d, d])?)
                .map_err(shape_err)?,
            log_det: Array1::from(self.f64_shaped("mixture.log_det", &[k])?),
            jitter: Array1::from(self.f64_shaped("mixture.jitter", &[k])?),
            eps: self.f64_shaped("mixture.eps", &[1])?[0],
        };
        let all = gmm
            .phi
            .iter()
            .chain(&gmm.mu)
            .chain(&gmm.chol)
            .chain(&gmm.log_det);
        if let Some(v) = all.into_iter().find(|v| !v.is_finite()) {
            return Err(self.corrupt(format!("the mixture holds a non-finite value ({v})")));
        }
        Ok(gmm)
    }
}

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk and renames it over
/// `path`; on failure the temporary file is removed and `path` is left as it was.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let io_err = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| AegmmError::Io {
            action,
            path,
            source,
        }
    };
    let file_name = path.file_name().ok_or_else(|| AegmmError::Io {
        action: "write",
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path has no file name",
        ),
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let temp = dir.join(format!(
        ".{}.tmp-{}-{}",
        file_name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = File::create(&temp).map_err(io_err("create", &temp))?;
        file.write_all(bytes).map_err(io_err("write", &temp))?;
        file.sync_all().map_err(io_err("flush", &temp))?;
        fs::rename(&temp, path).map_err(io_err("replace", path))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}
