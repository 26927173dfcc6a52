"""`liftcheck coverage`: every sentence of the draft, accounted for — encoded by named rules, or not, and why.

The draft shipped with the package (policy/opinion-draft.zh.txt) is split into sentences at
。 and ；. A rule file lists the draft sentences beside the law that lays its duty (`draft`,
rules R3-1), each with what the rule makes of it: `encodes` (the rule judges it), `partly`
(it judges part of it), `interprets` (it judges a reading of vague words, such as 提高审批效率)
or `context` (the sentence restates, presupposes or urges a duty without laying it on the party
judged: shown, never counted). rules/coverage.yaml gives the reason for every sentence no rule
encodes, and notes what an encoded sentence holds beyond its rules. The draft is the source of
truth, not the curated list.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from checker.resources import data_dir
from checker.rulebook import Rule, RuleBook

_SCENARIO = re.compile(r"^\s*(场景大纲|剧本大纲|场景|剧本)\s*[:：]\s*(.+?)\s*$")
_FEATURE = re.compile(r"^\s*功能\s*[:：]\s*([A-Z][A-Z0-9-]+)")
_EXAMPLE_ROW = re.compile(r"^\s*\|")
_TOP = re.compile(r"^([一二三四五六七八九十]+)、")
_SUB = re.compile(r"^（([一二三四五六七八九十]+)）")
DRAFT = "opinion-draft.zh.txt"


def scenarios_by_rule(folder: Path) -> dict[str, list[dict]]:
    """Rule id (from each feature's 功能 title) -> its scenarios, with how many example rows each runs."""
    out: dict[str, list[dict]] = {}
    for path in sorted(folder.glob("*.feature")):
        rule, current, in_examples = None, None, False
        for line in path.read_text(encoding="utf-8").splitlines():
            if m := _FEATURE.match(line):
                rule = m.group(1)
                out.setdefault(rule, [])
            elif (m := _SCENARIO.match(line)) and rule:
                current = {"file": path.name, "name": m.group(2), "outline": m.group(1) in ("场景大纲", "剧本大纲"), "runs": 1}
                out[rule].append(current)
                in_examples = False
            elif line.strip().startswith("例子") and current:
                in_examples, current["runs"] = True, -1  # header row is not a run
            elif in_examples and current and _EXAMPLE_ROW.match(line):
                current["runs"] += 1
    return out


def _plain(s: str) -> str:
    return re.sub(r"\s", "", s)


def draft_sentences(path: Path | None = None) -> list[dict]:
    """The draft split at 。 and ；, each sentence with its number and the section it stands in (四（一）)."""
    text = (path or data_dir("policy") / DRAFT).read_text(encoding="utf-8")
    out, top, sub = [], "", ""
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if m := _TOP.match(line):
            top, sub = m.group(1), ""
        elif (m := _SUB.match(line)) and top:
            sub = f"（{m.group(1)}）"
        for piece in re.findall(r"[^。；]+[。；]?", line):
            if piece.strip():
                out.append({"n": len(out) + 1, "section": top + sub, "text": piece.strip()})
    return out


def rule_quotes(rule: Rule) -> list[dict]:
    """The draft sentences a rule quotes (for each party it names), with what it makes of each."""
    out, seen = [], set()
    for entry in rule.party_entries():
        for d in entry["draft"]:
            if (d["ref"], d["text"]) not in seen:
                seen.add((d["ref"], d["text"]))
                out.append(d)
    return out


# what a rule makes of a sentence, most complete first: the sentence's status is its rules' best
_KINDS = ["encodes", "partly", "interprets"]
STATUS_ZH = {"encoded": "已编码", "partly": "部分编码", "interpreted": "按解释编码", "not_encoded": "未编码"}


def coverage(book: RuleBook, features: Path | None = None, draft: Path | None = None,
             accounts_file: Path | None = None) -> dict:
    accounts = yaml.safe_load((accounts_file or data_dir("rules") / "coverage.yaml").read_text(encoding="utf-8"))
    notes = accounts["not_encoded"]
    sentences = draft_sentences(draft)
    scenarios = scenarios_by_rule(features or data_dir("features"))
    problems: list[dict] = []
    encoded: dict[int, dict[str, str]] = {}     # sentence -> rule -> encodes | partly | interprets
    context: dict[int, list[str]] = {}          # sentence -> rules that show it beside their source
    for rule in book:
        for quote in rule_quotes(rule):
            hits = [s["n"] for s in sentences if _plain(quote["text"]) in _plain(s["text"])]
            if not hits:
                problems.append({"rule_id": rule.id, "flag": "quote_not_in_draft", "text": quote["text"]})
            for n in hits:
                if quote["coverage"] == "context":
                    context.setdefault(n, [])
                    if rule.id not in context[n]:
                        context[n].append(rule.id)
                    continue
                kinds = encoded.setdefault(n, {})
                if rule.id not in kinds or _KINDS.index(quote["coverage"]) < _KINDS.index(kinds[rule.id]):
                    kinds[rule.id] = quote["coverage"]
    reasons: dict[int, dict] = {}
    for note in notes:
        for match in note["match"]:
            hits = [s["n"] for s in sentences if _plain(match) in _plain(s["text"])]
            if len(hits) != 1:
                problems.append({"match": match, "flag": "match_not_one_sentence", "sentences": hits})
            for n in hits:
                if n in encoded:
                    problems.append({"match": match, "flag": "listed_but_encoded", "rules": list(encoded[n])})
                reasons[n] = note["reason"]
    partly: dict[int, dict] = {}
    for note in accounts.get("partly_encoded", []):
        hits = [s["n"] for s in sentences if _plain(note["match"]) in _plain(s["text"])]
        if len(hits) != 1 or hits[0] not in encoded:
            problems.append({"match": note["match"], "flag": "partly_encoded_not_one_encoded_sentence", "sentences": hits})
        for n in hits:
            partly[n] = note["note"]
    rows = []
    for s in sentences:
        kinds = encoded.get(s["n"], {})
        rules = list(kinds)
        reason = reasons.get(s["n"])
        if not rules and reason is None:
            problems.append({"sentence": s["n"], "text": s["text"], "flag": "sentence_unaccounted"})
        if not rules:
            status = "not_encoded"
        elif "encodes" in kinds.values() and s["n"] not in partly:
            status = "encoded"
        elif set(kinds.values()) == {"interprets"} and s["n"] not in partly:
            status = "interpreted"
        else:
            status = "partly"
        rows.append(dict(s, rules=rules, kinds=kinds, status=status, not_encoded=None if rules else reason,
                         note=partly.get(s["n"]), context=context.get(s["n"], []),
                         scenarios={r: len(scenarios.get(r, [])) for r in rules}))
    from checker.rulebook import load_sources

    sources = load_sources()
    law = []
    for r in book:
        for entry in r.party_entries():
            src = entry["source"]
            if src["law"] != "opinion":
                law.append({"rule_id": r.id, "party": entry["party"],
                            "source": sources[src["law"]].citation(src.get("article")), "text": src["duty"],
                            "presupposed": src.get("presupposed"),
                            "draft": [d["ref"] for d in entry["draft"]]})
    rule_rows = [{"rule_id": r.id, "clause": sources[r.body["source"]["law"]].citation(r.body["source"].get("article")),
                  "scenarios": scenarios.get(r.id, []),
                  "sentences": sorted(n for n, ids in encoded.items() if r.id in ids)} for r in book]
    for r in rule_rows:
        if not r["scenarios"]:
            problems.append({"rule_id": r["rule_id"], "flag": "rule_without_scenario"})
    counts = {k: sum(1 for r in rows if r["status"] == k) for k in STATUS_ZH}
    return {"sentences": rows, "presupposed_law": law, "rules": rule_rows, "problems": problems,
            "summary": {"sentences": len(rows), "encoded": counts["encoded"], "partly": counts["partly"],
                        "interpreted": counts["interpreted"],
                        "not_encoded": sum(1 for r in rows if not r["rules"] and r["not_encoded"])}}


def markdown(cov: dict) -> str:
    s = cov["summary"]
    lines = ["# 条款覆盖 Clause coverage", "",
             f"意见稿共 {s['sentences']} 句：{s['encoded']} 句由规则编码，{s['partly']} 句部分编码，"
             f"{s['interpreted']} 句按解释编码，{s['not_encoded']} 句未编码（附原因）。",
             "", "| # | 条款 | 句子 | 状态 | 规则 / 未编码原因 | 场景数 |", "|---|---|---|---|---|---|"]
    for c in cov["sentences"]:
        rules = "、".join(c["rules"]) or (f"未编码：{c['not_encoded']['zh']}" if c["not_encoded"] else "**未说明**")
        if c["note"]:
            rules += f"（另：{c['note']['zh']}）"
        if c["context"]:
            rules += f"（依据之外引用：{'、'.join(c['context'])}）"
        count = "、".join(f"{r} {n}" for r, n in c["scenarios"].items())
        lines.append(f"| {c['n']} | {c['section']} | {c['text']} | {STATUS_ZH[c['status']]} | {rules} | {count} |")
    if cov["presupposed_law"]:
        lines += ["", "## 设定义务的法律法规 The law that lays the duties (rules R3-1)", ""]
        lines += [f"- {x['rule_id']}（{x['party']}）：{x['source']}“{x['text']}”"
                  + (f"——{x['presupposed']}" if x["presupposed"] else "")
                  + (f"；意见稿 {'、'.join(x['draft'])}" if x["draft"] else "") for x in cov["presupposed_law"]]
    lines += ["", "## 问题 Problems", ""] + ([f"- {p}" for p in cov["problems"]] or ["- 无 none"])
    return "\n".join(lines) + "\n"
