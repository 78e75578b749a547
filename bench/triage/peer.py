#!/usr/bin/env python3
"""Peer benchmark for the "abuse" category of inbox triage.

Compares Bluelamp's inbox triage (`bluelamp triage --jsonl`) with the PyPI package
`alt-profanity-check` (a linear SVM over a bag of words, trained on offensive-language
data) on the blind split, corpus/triage/blind/. Only the abuse category is scored:
gold abuse means "abuse" is in a message's labels; Bluelamp predicts abuse when "abuse"
is in its output labels; the peer predicts abuse when predict() returns 1. Note that
the peer detects profanity and offensive language, which is not the same thing as the
triage category, so its figures measure how far a generic profanity filter gets.

Measured for both systems, over every message in the blind split:
  - precision, recall and F1 on abuse;
  - throughput in messages per second, single process. For Bluelamp this times the
    whole subprocess call (start-up, JSON in and out) on the blind file repeated
    enough times (20 copies to start with, doubled until a call takes at least
    MIN_SECONDS); for the peer it times one predict() call on the same number of
    texts. predict() is vectorised (one scikit-learn transform and one matrix product
    over the whole list), so it is the peer's fastest path.
The machine (nproc and CPU model from /proc/cpuinfo) is printed below the table.

Like every reader of the blind split, this script prints aggregate figures only: never a
message's text or id.

Setup and run (PyPI only), from the repository root:
    python3 -m venv /tmp/venv-triage
    /tmp/venv-triage/bin/pip install alt-profanity-check
    /tmp/venv-triage/bin/python bench/triage/peer.py [--bin PATH] [--corpus PATH]

--bin defaults to target/release/bluelamp (built separately; this script does not
build) and --corpus to corpus/triage/blind/. PEER_MIN_SECONDS (default 1) sets the
minimum timed duration.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MIN_SECONDS = float(os.environ.get("PEER_MIN_SECONDS", "1"))
START_COPIES = 20


def read_corpus(path):
    """Returns (rows for Bluelamp's stdin, texts, gold abuse flags)."""
    inputs, texts, gold = [], [], []
    # A split is one file or a directory of shards, read in name order.
    files = [os.path.join(path, n) for n in sorted(os.listdir(path)) if n.endswith(".jsonl")] \
        if os.path.isdir(path) else [path]
    for name in files:
        with open(name, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                row = json.loads(line)
                inputs.append({"id": row["id"], "text": row["text"], "channel": row["channel"]})
                texts.append(row["text"])
                gold.append("abuse" in row["labels"])
    return inputs, texts, gold


def prf(preds, gold):
    tp = sum(1 for p, g in zip(preds, gold) if p and g)
    fp = sum(1 for p, g in zip(preds, gold) if p and not g)
    fn = sum(1 for p, g in zip(preds, gold) if not p and g)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def run_triage(binary, payload):
    """One `triage --jsonl` call; returns its output lines. Errors never echo the input."""
    out = subprocess.run([binary, "triage", "--jsonl"], input=payload, capture_output=True)
    if out.returncode != 0:
        raise RuntimeError(f"bluelamp triage --jsonl exited with status {out.returncode}")
    return out.stdout.decode("utf-8").splitlines()


def bluelamp(binary, inputs):
    """Returns (abuse predictions, messages per second, messages timed)."""
    one = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in inputs).encode("utf-8")
    lines = run_triage(binary, one)  # predictions; also warms the page cache
    if len(lines) != len(inputs):
        raise RuntimeError(f"expected {len(inputs)} result lines, got {len(lines)}")
    preds = ["abuse" in json.loads(l)["labels"] for l in lines]
    copies = START_COPIES
    while True:
        payload = one * copies
        start = time.perf_counter()
        lines = run_triage(binary, payload)
        elapsed = time.perf_counter() - start
        n = len(inputs) * copies
        if len(lines) != n:
            raise RuntimeError(f"expected {n} result lines, got {len(lines)}")
        if elapsed >= MIN_SECONDS:
            return preds, n / elapsed, n
        copies *= 2


def peer(texts, n):
    """Returns (abuse predictions, messages per second) for alt-profanity-check."""
    from profanity_check import predict
    preds = [bool(v) for v in predict(texts)]  # predictions; also warms the model
    batch = (texts * (n // len(texts) + 1))[:n]
    start = time.perf_counter()
    predict(batch)
    elapsed = time.perf_counter() - start
    return preds, n / elapsed


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))  # what `nproc` reports
    except AttributeError:
        cpus = os.cpu_count()
    return cpus, model


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "bluelamp"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, "corpus", "triage", "blind"))
    args = ap.parse_args()

    inputs, texts, gold = read_corpus(args.corpus)
    if not inputs:
        print("corpus is empty")
        return 1
    print(f"{len(inputs)} messages, {sum(gold)} labelled abuse; abuse category only\n")

    rows = []
    ours, ours_rate, n = bluelamp(args.bin, inputs)
    rows.append(("Bluelamp triage (`triage --jsonl`, whole subprocess)", *prf(ours, gold), ours_rate))
    try:
        theirs, theirs_rate = peer(texts, n)
        rows.append(("alt-profanity-check (`predict`, one vectorised call)", *prf(theirs, gold), theirs_rate))
    except ImportError as e:
        print(f"alt-profanity-check could not be imported ({e.__class__.__name__}); see setup in the docstring\n")

    print("| system | precision | recall | F1 | messages/s |")
    print("|---|---:|---:|---:|---:|")
    for name, p, r, f1, rate in rows:
        print(f"| {name} | {p:.3f} | {r:.3f} | {f1:.3f} | {rate:,.0f} |")
    cpus, model = machine()
    print(f"\nThroughput: {n} messages ({n // len(inputs)} copies of the split), single process, "
          f"timed once each. Machine: nproc {cpus}, CPU {model}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
