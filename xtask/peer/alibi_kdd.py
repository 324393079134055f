"""alibi-detect's OutlierAEGMM on the KDD Cup 99 example protocol (SPEC section 6).

Run by `cargo xtask peer-bench` inside the virtual environment it creates; writes one JSON
object with the timings, the peak resident memory and the detection scores. It reads the
repository's copy of the data and downloads nothing.
"""

import argparse
import gzip
import json
import os
import resource
import sys
import time

import numpy as np

ALIBI_COLUMNS = [
    "srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate",
    "same_srv_rate", "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
    "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
    "dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate",
]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", required=True, help="folder holding kddcup.data_10_percent.gz and kddcup.names")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tf-seed", type=int, default=1)
    p.add_argument("--sample-seed", type=int, default=0)
    p.add_argument("--train-rows", type=int, default=400_000)
    p.add_argument("--out", required=True)
    return p.parse_args()


def read_kdd(data_dir):
    with open(os.path.join(data_dir, "kddcup.names")) as f:
        names = [line.split(":")[0].strip() for line in f.read().splitlines()[1:] if ":" in line]
    index = [names.index(c) for c in ALIBI_COLUMNS]
    rows, labels = [], []
    with gzip.open(os.path.join(data_dir, "kddcup.data_10_percent.gz"), "rt") as f:
        for line in f:
            fields = line.rstrip("\n").split(",")
            rows.append([float(fields[j]) for j in index])
            labels.append(0 if fields[-1] == "normal." else 1)
    return np.asarray(rows, dtype=np.float64), np.asarray(labels, dtype=np.int64)


def outlier_batch(rng, normal, attack, rows, perc_outlier):
    n_attack = int(round(rows * perc_outlier))
    idx = list(rng.choice(attack, n_attack, replace=False))
    idx += list(rng.choice(normal, rows - n_attack, replace=False))
    idx = np.asarray(idx)
    rng.shuffle(idx)
    return idx


def binary_scores(pred, target):
    tp = int(((pred == 1) & (target == 1)).sum())
    fp = int(((pred == 1) & (target == 0)).sum())
    fn = int(((pred == 0) & (target == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1,
            "accuracy": float((pred == target).mean())}


def main():
    args = parse_args()
    # Thread settings must come before TensorFlow creates its thread pools.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    from tensorflow.keras.layers import Dense, InputLayer
    from alibi_detect.od import OutlierAEGMM
    from alibi_detect.models.tensorflow.autoencoder import eucl_cosim_features
    from sklearn.metrics import roc_auc_score

    x, y = read_kdd(args.data)
    normal = np.flatnonzero(y == 0)
    attack = np.flatnonzero(y == 1)
    rng = np.random.default_rng(args.sample_seed)
    train_idx = rng.choice(normal, args.train_rows, replace=True)
    x_train = x[train_idx]
    mean, std = x_train.mean(0), x_train.std(0)
    std[std == 0] = 1.0
    scale = lambda a: ((a - mean) / std).astype(np.float32)
    x_train = scale(x_train)

    tf.random.set_seed(args.tf_seed)
    n_features, latent_dim, n_gmm = x.shape[1], 1, 2
    encoder_net = tf.keras.Sequential([
        InputLayer(input_shape=(n_features,)),
        Dense(60, activation=tf.nn.tanh), Dense(30, activation=tf.nn.tanh),
        Dense(10, activation=tf.nn.tanh), Dense(latent_dim, activation=None)])
    decoder_net = tf.keras.Sequential([
        InputLayer(input_shape=(latent_dim,)),
        Dense(10, activation=tf.nn.tanh), Dense(30, activation=tf.nn.tanh),
        Dense(60, activation=tf.nn.tanh), Dense(n_features, activation=None)])
    gmm_density_net = tf.keras.Sequential([
        InputLayer(input_shape=(latent_dim + 2,)),
        Dense(10, activation=tf.nn.tanh), Dense(n_gmm, activation=tf.nn.softmax)])
    od = OutlierAEGMM(threshold=None, encoder_net=encoder_net, decoder_net=decoder_net,
                      gmm_density_net=gmm_density_net, n_gmm=n_gmm,
                      recon_features=eucl_cosim_features)

    start = time.perf_counter()
    od.fit(x_train, epochs=args.epochs, batch_size=1024, verbose=False)
    fit_seconds = time.perf_counter() - start
    weights_finite = all(bool(np.isfinite(w).all()) for w in od.aegmm.get_weights())
    del x_train

    threshold_idx = outlier_batch(rng, normal, attack, 1000, 0.05)
    od.infer_threshold(scale(x[threshold_idx]), threshold_perc=95)
    test_idx = outlier_batch(rng, normal, attack, 1000, 0.10)
    test_scores = od.score(scale(x[test_idx]))

    x_all = scale(x)
    start = time.perf_counter()
    all_scores = od.score(x_all)
    score_seconds = time.perf_counter() - start

    def detection(scores, target):
        finite = bool(np.isfinite(scores).all())
        out = {"rows": int(len(target)), "outliers": int(target.sum()), "finite": finite,
               "roc_auc": float(roc_auc_score(target, scores)) if finite else None}
        out.update(binary_scores((scores > od.threshold).astype(np.int64), target))
        return out

    threshold = float(od.threshold)
    report = {
        "implementation": "alibi-detect",
        "versions": {"alibi-detect": __import__("alibi_detect").__version__,
                     "tensorflow": tf.__version__, "numpy": np.__version__,
                     "python": sys.version.split()[0]},
        "epochs": args.epochs, "threads": args.threads, "tf_seed": args.tf_seed,
        "sample_seed": args.sample_seed, "train_rows": args.train_rows,
        "fit_seconds": fit_seconds, "seconds_per_epoch": fit_seconds / args.epochs,
        "train_rows_per_sec": args.train_rows * args.epochs / fit_seconds,
        "score_rows": int(len(x_all)), "score_seconds": score_seconds,
        "score_rows_per_sec": len(x_all) / score_seconds,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "weights_finite": weights_finite,
        "threshold": threshold if np.isfinite(threshold) else None,
        "test": detection(test_scores, y[test_idx]),
        "all_rows": detection(all_scores, y),
    }
    with open(args.out + ".tmp", "w") as f:
        json.dump(report, f, indent=2)
    os.replace(args.out + ".tmp", args.out)
    print(json.dumps({k: report[k] for k in ("fit_seconds", "seconds_per_epoch", "score_rows_per_sec", "weights_finite")}))


if __name__ == "__main__":
    main()
