#!/usr/bin/env python3
"""Offline checks of Skiff's Terraform tree (run by terraform/check.sh; stdlib only).

Checks, each counted once:
  fmt          terraform fmt -check -recursive over terraform/
  self-test    the reference checker below catches a set of known-bad configurations
  parse/refs   per Terraform directory: every file parses; no duplicate declarations; every
               var./local./module./data./resource reference points at a declaration; every
               function is a Terraform built-in; each./count. only where for_each/count is set;
               no variable or local is left unused
  modules      module calls with a local source pass only declared inputs, all required
               inputs, and read only declared outputs
  files        templatefile() gets exactly the variables its template uses; file() paths exist
  iam          the node policy grants no wildcard action and no "*" resource
  user-data    the launch template's user-data rendered by `terraform console` (templatefile,
               offline): bash -n, size, the env file it writes (exact SKIFF_* variables and
               values, for a normal, a restore and an ACL+TLS cluster), the secret, the ACL
               token and the TLS material only fetched from SSM and loaded as credentials,
               the systemd unit it installs = dist's unit with ExecStart `skiff node`,
               systemd-analyze verify of every unit
  packaging    dist's skiff.env.sample documents every `skiff node` flag of API.md §1-§5 (the
               v1 contract; the wave-2 extensions, §6 on, are documented as they are built);
               every SKIFF_* variable the user-data sets is a flag API.md defines; the
               module's copy of skiff.service is dist's; every tarball name in the Terraform
               tree is the one dist builds (skiff-<project version>.tar.gz)
  network      no egress rule open to the internet; S3/DynamoDB reached by prefix list
  alb          HTTP redirects to HTTPS with a certificate; HTTPS target group with node TLS
  lifecycle    files/skiff-lifecycle.sh against stubbed curl/aws/systemctl
  validate     terraform init -backend=false && terraform validate, when providers can be had

Usage: tfcheck.py                 run every check; exit 1 if one fails
       tfcheck.py --print-policy  print the node policy document (references as ${...})
       tfcheck.py --render        print the user-data rendered with the sample values
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hcl  # noqa: E402

TF_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(TF_ROOT)
MODULE_DIR = os.path.join(TF_ROOT, "modules", "skiff-cluster")
DIST_UNIT = os.path.join(REPO_ROOT, "dist", "src", "main", "packaging", "systemd", "skiff.service")
DIST_ENV_SAMPLE = os.path.join(REPO_ROOT, "dist", "src", "main", "packaging", "skiff.env.sample")
DIST_POM = os.path.join(REPO_ROOT, "dist", "pom.xml")
ROOT_POM = os.path.join(REPO_ROOT, "pom.xml")

TOP_LEVEL_BLOCKS = {"terraform", "provider", "variable", "locals", "resource", "data", "module",
                    "output", "moved", "import", "check", "removed", "ephemeral"}
MODULE_META_ARGS = {"source", "version", "count", "for_each", "providers", "depends_on"}
BUILTIN_ROOTS = {"path", "terraform", "self"}
BUILTIN_FUNCTIONS = set("""
abs ceil floor log max min parseint pow signum
chomp endswith format formatlist indent join lower regex regexall replace split startswith
strcontains strrev substr templatestring title trim trimprefix trimsuffix trimspace upper
alltrue anytrue chunklist coalesce coalescelist compact concat contains distinct element
flatten index keys length lookup matchkeys merge one range reverse setintersection
setproduct setsubtract setunion slice sort sum transpose values zipmap
base64decode base64encode base64gzip csvdecode jsondecode jsonencode textdecodebase64
textencodebase64 urlencode yamldecode yamlencode
abspath dirname pathexpand basename file fileexists fileset filebase64 templatefile
formatdate plantimestamp timeadd timecmp timestamp
base64sha256 base64sha512 bcrypt filebase64sha256 filebase64sha512 filemd5 filesha1
filesha256 filesha512 md5 rsadecrypt sha1 sha256 sha512 uuid uuidv5
cidrhost cidrnetmask cidrsubnet cidrsubnets
can issensitive nonsensitive sensitive tobool tolist tomap tonumber toset tostring try type
ephemeralasnull
""".split())
KEYWORDS = {"true", "false", "null", "for", "in", "if", "else", "endif", "endfor"}

# The flags of `skiff node` in ../shared/API.md §1 and their variables (--foo-bar <=>
# SKIFF_FOO_BAR), plus the variables API.md §5 names.
API_FLAGS = ["id", "api-addr", "raft-addr", "data-dir", "bootstrap", "join", "discovery",
             "snapshots", "stable", "restore-from", "cluster", "cluster-secret-file",
             "advertise-api", "advertise-raft", "max-value-bytes", "create-tables"]
API_EXTRA_VARS = ["SKIFF_CLUSTER_SECRET", "SKIFF_S3_PATH_STYLE"]


def env_name(flag: str) -> str:
    return "SKIFF_" + flag.upper().replace("-", "_")


# --------------------------------------------------------------------------------------
# Reference checks over one Terraform directory


class Module:
    """The declarations of one Terraform directory (a root or a child module)."""

    def __init__(self, directory: str):
        self.dir = directory
        self.files = {}
        self.variables, self.locals, self.outputs = {}, {}, {}
        self.resources, self.data, self.modules = {}, {}, {}
        self.errors = []
        for name in sorted(os.listdir(directory)):
            if name.endswith(".tf"):
                path = os.path.join(directory, name)
                try:
                    self.files[path] = hcl.parse_file(path)
                except hcl.HclError as e:
                    self.errors.append(str(e))
        for path, body in self.files.items():
            self._declare(path, body)

    def rel(self, path: str) -> str:
        return os.path.relpath(path, TF_ROOT)

    def _add(self, table: dict, key, what: str, path: str, line: int, value):
        if key in table:
            self.errors.append(f"{self.rel(path)}:{line}: {what} declared twice")
        table[key] = value

    def _declare(self, path: str, body: hcl.Body):
        for name, attr in body.attributes.items():
            self.errors.append(f"{self.rel(path)}:{attr.line}: top-level attribute {name!r}")
        for b in body.blocks:
            where = (path, b.line)
            if b.type not in TOP_LEVEL_BLOCKS:
                self.errors.append(f"{self.rel(path)}:{b.line}: unknown block type {b.type!r}")
            elif b.type == "variable":
                self._add(self.variables, b.labels[0], f"variable {b.labels[0]}", *where, b)
            elif b.type == "output":
                self._add(self.outputs, b.labels[0], f"output {b.labels[0]}", *where, b)
            elif b.type == "module":
                self._add(self.modules, b.labels[0], f"module {b.labels[0]}", *where, b)
            elif b.type == "resource":
                self._add(self.resources, tuple(b.labels), "resource " + ".".join(b.labels), *where, b)
            elif b.type == "data":
                self._add(self.data, tuple(b.labels), "data " + ".".join(b.labels), *where, b)
            elif b.type == "locals":
                for name, attr in b.body.attributes.items():
                    self._add(self.locals, name, f"local {name}", path, attr.line, attr)
            expected = {"variable": 1, "output": 1, "module": 1, "resource": 2, "data": 2,
                        "provider": 1, "locals": 0, "terraform": 0}.get(b.type)
            if expected is not None and len(b.labels) != expected:
                self.errors.append(f"{self.rel(path)}:{b.line}: {b.type} block needs {expected} label(s)")

    # Walks every expression with the context it sits in.
    def expressions(self):
        """Yields (path, attribute, scope) for every attribute of every block, where scope
        says which iteration symbols are visible (each, count, dynamic iterators)."""
        for path, body in self.files.items():
            for b in body.blocks:
                if b.type == "variable":
                    # Only validation rules hold expressions; type = ... is a type constraint.
                    for v in b.body.blocks_of("validation"):
                        for attr in v.body.attributes.values():
                            yield path, attr, {"var_block": b.labels[0]}
                    if "default" in b.body.attributes:
                        yield path, b.body.attributes["default"], {}
                    continue
                scope = {"each": "for_each" in b.body.attributes, "count": "count" in b.body.attributes,
                         "iterators": set()}
                yield from self._walk(path, b.body, scope, top=b)

    def _walk(self, path, body, scope, top):
        for attr in body.attributes.values():
            yield path, attr, scope
        for child in body.blocks:
            if child.type == "lifecycle" and top.type in ("resource", "data"):
                for name, attr in child.body.attributes.items():
                    if name not in ("ignore_changes", "replace_triggered_by"):
                        yield path, attr, scope
                continue
            inner = scope
            if child.type == "dynamic":
                it = child.labels[0]
                if "iterator" in child.body.attributes:
                    it = hcl.literal_string(child.body.attributes["iterator"].expr) or "".join(
                        str(t.value) for t in child.body.attributes["iterator"].expr if t.kind == "ident")
                inner = dict(scope, iterators=scope["iterators"] | {it})
                for name in ("for_each", "labels", "iterator"):
                    if name in child.body.attributes:
                        yield path, child.body.attributes[name], scope
                for content in child.body.blocks_of("content"):
                    yield from self._walk(path, content.body, inner, top)
                continue
            yield from self._walk(path, child.body, inner, top)


def traversals(tokens: list):
    """Yields (root, [names...], token) for each reference like a.b.c in an expression,
    and ('(', name, token) for each function call."""
    toks = hcl.flatten(tokens)
    toks = [t for t in toks if t.kind != "newline"]
    bound = set()
    # Names bound by for expressions anywhere in this expression: [for k, v in ...].
    for i, t in enumerate(toks):
        if t.kind == "ident" and t.value == "for":
            j = i + 1
            while j < len(toks) and not (toks[j].kind == "ident" and toks[j].value == "in"):
                if toks[j].kind == "ident":
                    bound.add(toks[j].value)
                j += 1
    for i, t in enumerate(toks):
        if t.kind != "ident" or t.value in KEYWORDS:
            continue
        prev = toks[i - 1] if i > 0 else None
        if prev is not None and prev.kind == "op" and prev.value in (".", "::"):
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt is not None and nxt.kind == "op" and nxt.value == "(":
            yield "(", [t.value], t
            continue
        if t.value in bound:
            continue
        names, j = [], i + 1
        while j + 1 < len(toks) and toks[j].kind == "op" and toks[j].value == "." and toks[j + 1].kind == "ident":
            names.append(toks[j + 1].value)
            j += 2
        # An object key (name = value / name: value) is not a reference.
        if not names and nxt is not None and nxt.kind == "op" and nxt.value in ("=", ":"):
            continue
        yield t.value, names, t


def check_references(mod: Module) -> list:
    errors = list(mod.errors)
    used_vars, used_locals = set(), set()

    def err(path, tok, message):
        errors.append(f"{mod.rel(path)}:{tok.line}: {message}")

    for path, attr, scope in mod.expressions():
        for root, names, tok in traversals(attr.expr):
            if root == "(":
                if names[0] not in BUILTIN_FUNCTIONS:
                    err(path, tok, f"unknown function {names[0]}()")
                continue
            if root == "var":
                if not names or names[0] not in mod.variables:
                    err(path, tok, f"reference to undeclared variable var.{names[0] if names else ''}")
                else:
                    used_vars.add(names[0])
            elif root == "local":
                if not names or names[0] not in mod.locals:
                    err(path, tok, f"reference to undefined local.{names[0] if names else ''}")
                else:
                    used_locals.add(names[0])
            elif root == "module":
                if not names or names[0] not in mod.modules:
                    err(path, tok, f"reference to undeclared module.{names[0] if names else ''}")
                elif len(names) > 1:
                    child = local_module_dir(mod, names[0])
                    if child and names[1] not in Module(child).outputs:
                        err(path, tok, f"module.{names[0]}.{names[1]}: module {names[0]} has no output {names[1]!r}")
            elif root == "data":
                if len(names) < 2 or (names[0], names[1]) not in mod.data:
                    err(path, tok, f"reference to undeclared data.{'.'.join(names[:2])}")
            elif root == "each":
                if not scope.get("each"):
                    err(path, tok, "each. used in a block without for_each")
            elif root == "count":
                if not scope.get("count"):
                    err(path, tok, "count. used in a block without count")
            elif root in scope.get("iterators", ()) or root in BUILTIN_ROOTS:
                pass
            elif names and re.fullmatch(r"[a-z0-9]+_[a-z0-9_]+", root):
                if (root, names[0]) not in mod.resources:
                    err(path, tok, f"reference to undeclared resource {root}.{names[0]}")
            elif names:
                err(path, tok, f"unknown reference {root}.{'.'.join(names)}")
            elif "var_block" not in scope:
                err(path, tok, f"unknown name {root!r}")
    for name, b in mod.variables.items():
        if name not in used_vars:
            errors.append(f"{mod.rel(next(p for p, body in mod.files.items() if b in body.blocks))}:"
                          f"{b.line}: variable {name} is declared but never used")
    for name, attr in mod.locals.items():
        if name not in used_locals:
            errors.append(f"{mod.rel(mod.dir)}: local {name} (line {attr.line}) is defined but never used")
    return errors


def local_module_dir(mod: Module, name: str):
    src = hcl.literal_string(mod.modules[name].body.attributes["source"].expr) \
        if "source" in mod.modules[name].body.attributes else None
    if src and (src.startswith("./") or src.startswith("../")):
        return os.path.normpath(os.path.join(mod.dir, src))
    return None


def check_module_calls(mod: Module) -> list:
    errors = []
    for name, block in mod.modules.items():
        if "source" not in block.body.attributes:
            errors.append(f"{mod.rel(mod.dir)}: module {name} has no source")
            continue
        child_dir = local_module_dir(mod, name)
        if child_dir is None:
            continue
        if not os.path.isdir(child_dir):
            errors.append(f"{mod.rel(mod.dir)}: module {name}: source {child_dir} does not exist")
            continue
        child = Module(child_dir)
        for arg, attr in block.body.attributes.items():
            if arg not in MODULE_META_ARGS and arg not in child.variables:
                errors.append(f"{mod.rel(mod.dir)}:{attr.line}: module {name} has no input {arg!r}")
        for var, vb in child.variables.items():
            if "default" not in vb.body.attributes and var not in block.body.attributes:
                errors.append(f"{mod.rel(mod.dir)}:{block.line}: module {name} needs input {var!r}")
    return errors


def path_module_string(tokens: list, mod_dir: str):
    """'${path.module}/x' (the whole expression) -> absolute path, else None."""
    toks = [t for t in tokens if t.kind != "newline"]
    if len(toks) != 1 or toks[0].kind != "string":
        return None
    text = "".join(p.text for p in toks[0].value)
    if not text.startswith("${path.module}/") or "${" in text[2:]:
        return None
    return os.path.join(mod_dir, text[len("${path.module}/"):])


def function_calls(tokens: list, name: str):
    """Yields the argument token lists of every call name(...) in an expression, including
    calls inside string interpolations. Newlines stay in the arguments (they separate the
    entries of an object constructor)."""
    toks = list(tokens)
    for t in toks:
        if t.kind in ("string", "heredoc"):
            for p in t.value:
                if p.kind != "lit":
                    yield from function_calls(p.tokens, name)
    for i, t in enumerate(toks):
        if t.kind == "ident" and t.value == name and i + 1 < len(toks) and toks[i + 1].value == "(":
            args, cur, depth, j = [], [], 0, i + 2
            while j < len(toks):
                x = toks[j]
                if x.kind == "newline" and not cur:
                    j += 1
                    continue
                if x.kind == "op" and x.value in "([{":
                    depth += 1
                elif x.kind == "op" and x.value in ")]}":
                    if depth == 0:
                        break
                    depth -= 1
                if x.kind == "op" and x.value == "," and depth == 0:
                    args.append(cur)
                    cur = []
                else:
                    cur.append(x)
                j += 1
            if cur:
                args.append(cur)
            yield args


def object_keys(tokens: list) -> dict:
    """{ a = x, b = y } (entries separated by commas or newlines) -> {'a': [x tokens], ...}."""
    toks = list(tokens)
    while toks and toks[0].kind == "newline":
        toks.pop(0)
    while toks and toks[-1].kind == "newline":
        toks.pop()
    if not toks or toks[0].value != "{" or toks[-1].value != "}":
        return {}
    out, depth, key, inner, i = {}, 0, None, toks[1:-1], 0
    while i < len(inner):
        t = inner[i]
        if key is None:
            if t.kind == "newline" or t.value == ",":
                i += 1
                continue
            if t.kind in ("ident", "string") and i + 1 < len(inner) and inner[i + 1].value in ("=", ":"):
                key = t.value if t.kind == "ident" else hcl.literal_string([t])
                out[key] = []
                i += 2
                continue
            return out  # not a plain object constructor (e.g. a for expression)
        if depth == 0 and (t.kind == "newline" or t.value == ","):
            key = None
        else:
            if t.kind == "op" and t.value in "([{":
                depth += 1
            elif t.kind == "op" and t.value in ")]}":
                depth -= 1
            if t.kind != "newline":
                out[key].append(t)
        i += 1
    return out


def template_variables(path: str) -> set:
    """Names a templatefile() template reads (minus names its for directives bind)."""
    with open(path, encoding="utf-8") as f:
        parts = hcl.parse_template(f.read(), path)
    used, bound = set(), set()
    for p in parts:
        if p.kind == "directive" and p.tokens and p.tokens[0].value == "for":
            for t in p.tokens[1:]:
                if t.kind == "ident" and t.value == "in":
                    break
                if t.kind == "ident":
                    bound.add(t.value)
    for p in parts:
        if p.kind == "lit":
            continue
        for root, names, tok in traversals(p.tokens):
            if root != "(" and root not in bound:
                used.add(root)
    return used


def check_files(mod: Module) -> list:
    errors = []
    for path, attr, _ in mod.expressions():
        for args in function_calls(attr.expr, "file"):
            target = path_module_string(args[0], mod.dir) if args else None
            if target and not os.path.isfile(target):
                errors.append(f"{mod.rel(path)}:{attr.line}: file() of missing {mod.rel(target)}")
        for args in function_calls(attr.expr, "templatefile"):
            target = path_module_string(args[0], mod.dir) if args else None
            if not target:
                errors.append(f"{mod.rel(path)}:{attr.line}: templatefile() path is not \"${{path.module}}/...\"")
                continue
            if not os.path.isfile(target):
                errors.append(f"{mod.rel(path)}:{attr.line}: templatefile() of missing {mod.rel(target)}")
                continue
            given = set(object_keys(args[1]) if len(args) > 1 else {})
            wanted = template_variables(target)
            for name in sorted(wanted - given):
                errors.append(f"{mod.rel(path)}:{attr.line}: {mod.rel(target)} uses {name!r}, which templatefile() does not pass")
            for name in sorted(given - wanted):
                errors.append(f"{mod.rel(path)}:{attr.line}: templatefile() passes {name!r}, which {mod.rel(target)} never uses")
    return errors


# --------------------------------------------------------------------------------------
# The IAM policy


def policy_statements(mod: Module, name: str = "node"):
    """(sid, actions, resources, conditional) of each statement of the policy document."""
    block = mod.data.get(("aws_iam_policy_document", name))
    if block is None:
        return None
    out = []
    for st in block.body.blocks:
        bodies = [(st.body, False)]
        if st.type == "dynamic":
            bodies = [(c.body, True) for c in st.body.blocks_of("content")]
        elif st.type != "statement":
            continue
        for body, dynamic in bodies:
            def strings(attr):
                return strings_of(body.attributes[attr]) if attr in body.attributes else []
            sid = hcl.literal_string(body.attributes["sid"].expr) if "sid" in body.attributes else "?"
            effect = hcl.literal_string(body.attributes["effect"].expr) if "effect" in body.attributes else "Allow"
            conditions = []
            for c in body.blocks_of("condition"):
                conditions.append({k: (hcl.literal_string(c.body.attributes[k].expr) if k != "values" else strings_of(c.body.attributes[k]))
                                   for k in ("test", "variable", "values")})
            out.append({"Sid": sid, "Effect": effect, "Action": strings("actions"),
                        "Resource": strings("resources"), "Condition": conditions, "OnlyIf": dynamic})
    return out


def strings_of(attr) -> list:
    """The elements of a list expression, in order: string literals as text (interpolations
    kept as ${...}), other expressions as ${expression}."""
    toks = [t for t in attr.expr if t.kind != "newline"]
    if toks and toks[0].value == "[" and toks[-1].value == "]":
        toks = toks[1:-1]
    groups, cur = [], []
    for t in toks:
        if t.kind == "op" and t.value == ",":
            groups.append(cur)
            cur = []
        else:
            cur.append(t)
    groups.append(cur)
    out = []
    for g in groups:
        if len(g) == 1 and g[0].kind == "string":
            out.append(hcl.render_string(g[0]))
        elif g:
            out.append("${" + "".join(str(t.value) for t in g) + "}")
    return out


def check_policy(mod: Module) -> list:
    statements = policy_statements(mod)
    if statements is None:
        return ["modules/skiff-cluster: no data \"aws_iam_policy_document\" \"node\""]
    errors = []
    for st in statements:
        if st["Effect"] != "Allow":
            continue
        for a in st["Action"]:
            if "*" in a:
                errors.append(f"node policy statement {st['Sid']}: wildcard action {a!r}")
        if not st["Resource"]:
            errors.append(f"node policy statement {st['Sid']}: no resources")
        for r in st["Resource"]:
            if r in ("*", "arn:aws:s3:::*") or r.endswith(":*"):
                errors.append(f"node policy statement {st['Sid']}: resource {r!r} is a wildcard")
            if re.search(r"(aws_s3_bucket\.\w+\.arn\}|:::[^/]*)/\*$", r):
                errors.append(f"node policy statement {st['Sid']}: resource {r!r} is a whole bucket, not a prefix")
    return errors


def print_policy(mod: Module):
    statements = policy_statements(mod)
    doc = {"Version": "2012-10-17", "Statement": []}
    for st in statements:
        entry = {"Sid": st["Sid"], "Effect": st["Effect"], "Action": st["Action"], "Resource": st["Resource"]}
        if st["Condition"]:
            entry["Condition"] = {c["test"]: {c["variable"]: c["values"]} for c in st["Condition"]}
        if st["OnlyIf"]:
            entry["_present_only_when"] = "its dynamic block's for_each is not empty"
        doc["Statement"].append(entry)
    print(json.dumps(doc, indent=2))


# --------------------------------------------------------------------------------------
# Self-test: the checker must catch these


SELF_TESTS = {
    "undeclared variable": ('output "x" {\n  value = var.nope\n}\n', "undeclared variable var.nope"),
    "undefined local": ('output "x" {\n  value = local.nope\n}\n', "undefined local.nope"),
    "undeclared resource": ('output "x" {\n  value = aws_s3_bucket.nope.id\n}\n', "undeclared resource aws_s3_bucket.nope"),
    "undeclared data": ('output "x" {\n  value = data.aws_region.nope.name\n}\n', "undeclared data.aws_region.nope"),
    "unknown function": ('output "x" {\n  value = lenght([1])\n}\n', "unknown function lenght()"),
    "each without for_each": ('resource "a_b" "c" {\n  name = each.key\n}\n', "each. used in a block without for_each"),
    "reference in a string": ('output "x" {\n  value = "${var.nope}-x"\n}\n', "undeclared variable var.nope"),
    "unused variable": ('variable "v" {\n  type = string\n}\n', "variable v is declared but never used"),
    "duplicate resource": ('resource "a_b" "c" {\n}\nresource "a_b" "c" {\n}\n', "declared twice"),
    "syntax error": ('resource "a_b" "c" {\n  name = (1\n}\n', "closed by"),
    "unterminated string": ('output "x" {\n  value = "abc\n}\n', "unterminated string"),
    "wildcard policy": ('data "aws_iam_policy_document" "node" {\n  statement {\n    actions   = ["s3:*"]\n'
                        '    resources = ["*"]\n  }\n}\n', "wildcard"),
    "whole-bucket policy": ('data "aws_iam_policy_document" "node" {\n  statement {\n'
                            '    actions   = ["s3:GetObject"]\n    resources = ["arn:aws:s3:::b/*"]\n  }\n}\n',
                            "whole bucket"),
    "unknown module input": ('module "m" {\n  source = "./child"\n  nope   = 1\n}\n', "module m has no input 'nope'"),
    "missing module input": ('module "m" {\n  source = "./child"\n}\n', "module m needs input 'req'"),
    "unknown module output": ('module "m" {\n  source = "./child"\n  req    = 1\n}\noutput "o" {\n'
                              '  value = module.m.nope\n}\n', "module m has no output 'nope'"),
    "template variable not passed": ('output "o" {\n  value = templatefile("${path.module}/t.tftpl", { a = 1 })\n}\n',
                                     "uses 'b', which templatefile() does not pass"),
}


def self_test() -> list:
    errors = []
    for name, (text, expected) in SELF_TESTS.items():
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "main.tf"), "w") as f:
                f.write(text)
            os.mkdir(os.path.join(d, "child"))
            with open(os.path.join(d, "child", "main.tf"), "w") as f:
                f.write('variable "req" {\n  type = number\n}\noutput "ok" {\n  value = var.req\n}\n')
            with open(os.path.join(d, "t.tftpl"), "w") as f:
                f.write("${a} ${b} %{ for x in a }${x}%{ endfor }\n")
            mod = Module(d)
            found = check_references(mod) + check_module_calls(mod) + check_files(mod)
            if "policy" in name:
                found += check_policy(mod)
            if not any(expected in e for e in found):
                errors.append(f"self-test {name!r}: expected an error containing {expected!r}, got {found}")
    return errors


# --------------------------------------------------------------------------------------
# The rendered user-data


SAMPLE = {
    "aws_region": "eu-west-1",
    "cluster_name": "prod",
    "artifact_url": "s3://acme-artifacts/skiff/skiff-0.1.0-SNAPSHOT.tar.gz",
    "java_package": "java-21-amazon-corretto-headless",
    "java_opts": "-XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError",
    "api_port": 8001,
    "raft_port": 9001,
    "discovery_table": "skiff-prod-discovery",
    "stable_table": "skiff-prod-stable",
    "snapshot_bucket": "prod-snapshots-123456789012",
    "snapshot_prefix": "snapshots",
    "restore_from": "",
    "log_archive": "s3://prod-snapshots-123456789012/snapshots",
    "log_archive_interval": "1s",
    "max_value_bytes": 1048576,
    "remove_dead_after": "10m",
    "min_voters": 3,
    "secret_parameter_name": "/skiff/prod/cluster-secret",
    "acl_parameter_name": "",
    "tls_parameter_prefix": "",
    "asg_name": "skiff-prod",
    "lifecycle_hook_name": "skiff-prod-leave",
}
SAMPLE_INSTANCE = {"instance_id": "i-0123456789abcdef0", "private_ip": "10.0.2.17",
                   "java_home": "/usr/lib/jvm/java-21-amazon-corretto.aarch64"}
CREDENTIAL_PATH = "/run/credentials/skiff.service/cluster-secret"
# A cluster with ACLs and TLS on (security_variables.tf): what the user-data then adds.
SECURE = {"acl_parameter_name": "/skiff/prod/acl-bootstrap-token", "tls_parameter_prefix": "/skiff/prod/tls"}
SECURE_ENV = {
    "SKIFF_ACL_BOOTSTRAP_TOKEN_FILE": "/run/credentials/skiff.service/acl-bootstrap-token",
    "SKIFF_TLS_CERT_FILE": "/run/credentials/skiff.service/tls-cert",
    "SKIFF_TLS_KEY_FILE": "/run/credentials/skiff.service/tls-key",
    "SKIFF_TLS_CA_FILE": "/run/credentials/skiff.service/tls-ca",
}


def expected_env(restore_from: str, secure: bool = False) -> dict:
    s, i = SAMPLE, SAMPLE_INSTANCE
    env = {
        "SKIFF_ID": i["instance_id"],
        "SKIFF_API_ADDR": f"0.0.0.0:{s['api_port']}",
        "SKIFF_RAFT_ADDR": f"0.0.0.0:{s['raft_port']}",
        "SKIFF_ADVERTISE_API": f"{i['private_ip']}:{s['api_port']}",
        "SKIFF_ADVERTISE_RAFT": f"{i['private_ip']}:{s['raft_port']}",
        "SKIFF_DATA_DIR": "/var/lib/skiff/data",
        "SKIFF_CLUSTER": s["cluster_name"],
        "SKIFF_DISCOVERY": f"dynamodb://{s['discovery_table']}?cluster={s['cluster_name']}",
        "SKIFF_STABLE": f"dynamodb://{s['stable_table']}",
        "SKIFF_SNAPSHOTS": f"s3://{s['snapshot_bucket']}/{s['snapshot_prefix']}",
        "SKIFF_CLUSTER_SECRET_FILE": CREDENTIAL_PATH,
        "SKIFF_MAX_VALUE_BYTES": str(s["max_value_bytes"]),
        "SKIFF_REMOVE_DEAD_AFTER": s["remove_dead_after"],
        "SKIFF_MIN_VOTERS": str(s["min_voters"]),
        "AWS_REGION": s["aws_region"],
        "JAVA_HOME": i["java_home"],
        "JAVA_OPTS": s["java_opts"],
    }
    if restore_from:
        env["SKIFF_RESTORE_FROM"] = restore_from
    if secure:
        env.update(SECURE_ENV)
    if s["log_archive"]:
        env["SKIFF_LOG_ARCHIVE"] = s["log_archive"]
        env["SKIFF_LOG_ARCHIVE_INTERVAL"] = s["log_archive_interval"]
    return env


def template_inputs(mod: Module):
    """The launch template's templatefile() call: (template path, {key: sample value})."""
    for path, attr, _ in mod.expressions():
        for args in function_calls(attr.expr, "templatefile"):
            template = path_module_string(args[0], mod.dir)
            values, missing = {}, []
            for key, toks in object_keys(args[1]).items():
                files = [path_module_string(a[0], mod.dir) for a in function_calls(toks, "file")]
                if files and files[0]:
                    with open(files[0], encoding="utf-8") as f:
                        text = f.read()
                    chomped = any(True for _ in function_calls(toks, "chomp"))
                    values[key] = text.rstrip("\r\n") if chomped else text
                elif key in SAMPLE:
                    values[key] = SAMPLE[key]
                else:
                    missing.append(key)
            return template, values, missing
    return None, {}, ["<no templatefile() call in the module>"]


def render(template: str, values: dict) -> str:
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "vars.json"), "w") as f:
            json.dump(values, f)
        expr = f'base64encode(templatefile("{template}", jsondecode(file("{d}/vars.json"))))\n'
        env = dict(os.environ, TF_CLI_CONFIG_FILE="/dev/null", TF_IN_AUTOMATION="1")
        p = subprocess.run(["terraform", "console", "-no-color"], input=expr, cwd=d, capture_output=True,
                           text=True, timeout=60, env=env)
        if p.returncode != 0:
            raise RuntimeError(f"terraform console failed: {p.stderr.strip()}")
        out = p.stdout.strip().strip('"')
        return base64.b64decode(out).decode("utf-8")


def heredoc(script: str, target: str) -> str:
    """The body of `cat >TARGET <<'MARK' ... MARK` in a rendered script."""
    m = re.search(r"^\s*cat >" + re.escape(target) + r" <<'?(\w+)'?\n(.*?)\n\s*\1$", script, re.M | re.S)
    return m.group(2) + "\n" if m else None


def parse_env_file(text: str) -> dict:
    env = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"not KEY=value: {line!r}")
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if key in env:
            raise ValueError(f"{key} set twice")
        env[key] = value
    return env


def check_user_data(mod: Module, report) -> None:
    template, values, missing = template_inputs(mod)
    if missing:
        report("user-data: sample values", [f"no sample value for template variable {m!r} (add it to SAMPLE)" for m in missing])
        return
    variants = [("cluster", "", {}), ("restore cluster", "s3://old-snapshots-123456789012/snapshots", {}),
                ("cluster with ACLs and TLS", "", SECURE)]
    for label, restore_from, overrides in variants:
        secure = bool(overrides)
        try:
            script = render(template, dict(values, restore_from=restore_from, **overrides))
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
            report(f"user-data ({label}): render", [str(e)])
            continue
        report(f"user-data ({label}): rendered by terraform console ({len(script)} bytes)", [])
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "user-data.sh")
            with open(path, "w") as f:
                f.write(script)
            p = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
            report(f"user-data ({label}): bash -n", [p.stderr.strip()] if p.returncode else [])
            size_errors = [] if len(script.encode()) <= 16384 else [f"{len(script.encode())} bytes > EC2's 16384-byte user-data limit"]
            report(f"user-data ({label}): under the 16 KiB EC2 limit", size_errors)
            # Source the script (main does not run when sourced) and write the env file.
            out = os.path.join(d, "skiff.env")
            i = SAMPLE_INSTANCE
            cmd = (f'source "{path}"; instance_id={i["instance_id"]} private_ip={i["private_ip"]} '
                   f'java_home={i["java_home"]}; write_env_file "{out}"')
            p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=10)
            errors = []
            if p.returncode != 0 or not os.path.exists(out):
                errors.append(f"write_env_file failed: {p.stderr.strip()}")
            else:
                try:
                    env = parse_env_file(open(out).read())
                except ValueError as e:
                    env, errors = {}, [f"env file: {e}"]
                want = expected_env(restore_from, secure)
                for k in sorted(set(want) | set(env)):
                    if env.get(k) != want.get(k):
                        errors.append(f"env file: {k}={env.get(k)!r}, expected {want.get(k)!r}")
                errors += check_env_flags_defined(env)
            report(f"user-data ({label}): /etc/skiff/skiff.env has exactly the expected variables", errors)
        report(f"user-data ({label}): cluster secret only fetched from SSM", secret_errors(script, values))
        report(f"user-data ({label}): ACL token and TLS material only from SSM, root-only, as credentials",
               secure_material_errors(script, secure))
        if not restore_from:
            report("user-data: installed skiff.service is dist's unit, ExecStart `skiff node`", unit_errors(script))
            report("user-data: systemd-analyze verify of every installed unit", verify_units(script))


def secret_errors(script: str, values: dict) -> list:
    errors = []
    if re.search(r"^\s*SKIFF_CLUSTER_SECRET=", script, re.M):
        errors.append("the user-data sets SKIFF_CLUSTER_SECRET (the secret itself)")
    for key in values:
        if re.search(r"secret(?!_parameter_name|_script)", key):
            errors.append(f"template variable {key!r} looks like it carries the secret")
    fetch = heredoc(script, "/usr/local/libexec/skiff/skiff-fetch-secret") or ""
    if not re.search(r"aws ssm get-parameter\b.*--with-decryption", fetch.replace("\\\n", " ")):
        errors.append("skiff-fetch-secret does not call `aws ssm get-parameter --with-decryption`")
    if "umask 077" not in fetch or "chmod 0400" not in fetch or "/etc/skiff/cluster-secret" not in fetch:
        errors.append("skiff-fetch-secret does not write a root-only /etc/skiff/cluster-secret (umask 077, 0400)")
    if f"SECRET_PARAMETER={SAMPLE['secret_parameter_name']}" not in script:
        errors.append("the secret parameter name is not passed to the helper scripts")
    dropin = heredoc(script, "/etc/systemd/system/skiff.service.d/10-aws.conf") or ""
    if "LoadCredential=cluster-secret:/etc/skiff/cluster-secret" not in dropin or "Requires=skiff-secret.service" not in dropin:
        errors.append("skiff.service does not load the secret as a credential after skiff-secret.service")
    return errors


def secure_material_errors(script: str, secure: bool) -> list:
    """With ACLs/TLS configured: fetched from SSM by skiff-fetch-secret, loaded as systemd
    credentials, never in the user-data or the environment; without: not mentioned at all."""
    errors = []
    if re.search(r"^\s*SKIFF_(ACL_BOOTSTRAP_TOKEN|TLS_KEY|TOKEN)=", script, re.M):
        errors.append("the user-data sets a token or key itself, not a file")
    hooks = heredoc(script, '"$1"') or ""
    dropin = heredoc(script, "/etc/systemd/system/skiff.service.d/10-aws.conf") or ""
    fetch = heredoc(script, "/usr/local/libexec/skiff/skiff-fetch-secret") or ""
    credentials = ["acl-bootstrap-token:/etc/skiff/acl-bootstrap-token", "tls-cert:/etc/skiff/tls-cert.pem",
                   "tls-key:/etc/skiff/tls-key.pem", "tls-ca:/etc/skiff/tls-ca.pem"]
    for c in credentials:
        present = f"LoadCredential={c}" in dropin
        if present != secure:
            errors.append(f"LoadCredential={c} is {'missing' if secure else 'there without ACLs/TLS'}")
    if secure:
        for k, v in SECURE.items():
            name = "ACL_PARAMETER" if k.startswith("acl") else "TLS_PARAMETER_PREFIX"
            if f"{name}={v}" not in script:
                errors.append(f"{name}={v} is not passed to the helper scripts")
        for needed in ['fetch "$ACL_PARAMETER" /etc/skiff/acl-bootstrap-token',
                       'fetch "$TLS_PARAMETER_PREFIX/$part" "/etc/skiff/tls-$part.pem"', "umask 077", "chmod 0400"]:
            if needed not in fetch:
                errors.append(f"skiff-fetch-secret lacks: {needed}")
    del hooks
    return errors


def egress_errors(mod: Module) -> list:
    """No security group egress rule of the module reaches the whole internet (issue #13)."""
    errors = []
    for name in sorted(os.listdir(mod.dir)):
        if not name.endswith(".tf"):
            continue
        text = open(os.path.join(mod.dir, name), encoding="utf-8").read()
        for m in re.finditer(r'resource "aws_vpc_security_group_egress_rule" "(\w+)" \{(.*?)\n\}', text, re.S):
            if re.search(r'cidr_ipv[46]\s*=\s*"(0\.0\.0\.0/0|::/0)"', m.group(2)):
                errors.append(f"{name}: egress rule {m.group(1)} is open to the internet")
    if not errors and "prefix_list_id" not in "".join(open(os.path.join(mod.dir, n)).read()
                                                      for n in os.listdir(mod.dir) if n.endswith(".tf")):
        errors.append("no egress rule to the S3/DynamoDB prefix lists")
    return errors


def alb_errors(mod: Module) -> list:
    """HTTP redirects to HTTPS when the load balancer has a certificate; the target group and
    its health checks speak HTTPS to nodes that serve it."""
    text = open(os.path.join(mod.dir, "alb.tf"), encoding="utf-8").read()
    errors = []
    http = re.search(r'resource "aws_lb_listener" "http" \{(.*?)\n\}', text, re.S)
    if not http or 'type = "redirect"' not in http.group(1) or 'protocol    = "HTTPS"' not in http.group(1) \
            or "var.redirect_http_to_https" not in http.group(1):
        errors.append("the HTTP listener does not redirect to HTTPS (redirect_http_to_https)")
    tg = re.search(r'resource "aws_lb_target_group" "api" \{(.*?)\n\}', text, re.S)
    if not tg or tg.group(1).count("local.node_protocol") != 2:
        errors.append("the target group or its health check does not follow local.node_protocol (HTTPS with TLS)")
    return errors


def unit_errors(script: str) -> list:
    unit = heredoc(script, "/etc/systemd/system/skiff.service")
    if unit is None:
        return ["the user-data does not write /etc/systemd/system/skiff.service"]
    errors = []
    with open(DIST_UNIT, encoding="utf-8") as f:
        if f.read() != unit:
            errors.append("the unit in the user-data differs from dist/src/main/packaging/systemd/skiff.service "
                          "(copy it to modules/skiff-cluster/files/skiff.service)")
    lines = dict(re.findall(r"^(\w+)=(.*)$", unit, re.M))
    if lines.get("ExecStart") != "/opt/skiff/bin/skiff node":
        errors.append(f"ExecStart is {lines.get('ExecStart')!r}, expected '/opt/skiff/bin/skiff node'")
    if lines.get("EnvironmentFile") != "/etc/skiff/skiff.env":
        errors.append("EnvironmentFile is not /etc/skiff/skiff.env")
    for key, want in (("KillSignal", "SIGTERM"), ("Restart", "on-failure"), ("User", "skiff")):
        if lines.get(key) != want:
            errors.append(f"{key} is {lines.get(key)!r}, expected {want!r}")
    stop = re.fullmatch(r"(\d+)s?", lines.get("TimeoutStopSec", ""))
    if not stop or int(stop.group(1)) < 30:
        errors.append("TimeoutStopSec must leave at least 30 s for a leadership transfer")
    if "LimitNOFILE" not in lines:
        errors.append("no LimitNOFILE")
    if lines.get("StateDirectory") != "skiff" or "MemoryDenyWriteExecute" in lines:
        errors.append("the data dir must stay writable (StateDirectory=skiff) and the JIT working")
    return errors


def verify_units(script: str) -> list:
    if not shutil.which("systemd-analyze"):
        return []
    units = {}
    for name in ("skiff.service", "skiff-secret.service", "skiff-lifecycle.service"):
        text = heredoc(script, f"/etc/systemd/system/{name}")
        if text is None:
            return [f"the user-data does not write /etc/systemd/system/{name}"]
        units[name] = text
    units["skiff.service"] += "\n" + heredoc(script, "/etc/systemd/system/skiff.service.d/10-aws.conf")
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for name, text in units.items():
            # The executables do not exist on this machine; verify checks that they do.
            text = re.sub(r"^(ExecStart=)\S+", r"\1/bin/true", text, flags=re.M)
            text = text.replace("EnvironmentFile=/", "EnvironmentFile=-/")
            paths.append(os.path.join(d, name))
            with open(paths[-1], "w") as f:
                f.write(text)
        p = subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True, text=True, timeout=30)
        out = (p.stdout + p.stderr).strip()
        return [out] if p.returncode or out else []


API_MD = os.path.join(REPO_ROOT, "..", "shared", "API.md")
# Where API.md's v1 contract (§1-§5) ends and the wave-2 extensions begin.
API_EXTENSIONS_HEADING = re.compile(r"^# v1 extensions", re.M)


def api_text(v1_only: bool) -> str | None:
    if not os.path.exists(API_MD):
        return None
    text = open(API_MD, encoding="utf-8").read()
    m = API_EXTENSIONS_HEADING.search(text)
    return text[:m.start()] if v1_only and m else text


def flags_in(text: str) -> list:
    return sorted(set(re.findall(r"--([a-z][a-z-]*[a-z])", text)) - {"foo-bar"})


def api_flags() -> list:
    """The flags of API.md's v1 contract (§1-§5): from ../shared/API.md when it is there
    (checked against the copy above), else the copy."""
    text = api_text(v1_only=True)
    return (flags_in(text) or API_FLAGS) if text is not None else API_FLAGS


def check_env_flags_defined(env: dict) -> list:
    """Every SKIFF_* variable the user-data sets must be a flag API.md defines (any part)."""
    text = api_text(v1_only=False)
    known = {env_name(f) for f in (flags_in(text) if text is not None else API_FLAGS)} | set(API_EXTRA_VARS)
    return [f"env file: {k} is not a flag of skiff node in API.md" for k in sorted(env)
            if k.startswith("SKIFF_") and k not in known]


def dist_tarball_name() -> tuple[str | None, list]:
    """The tarball `mvn -pl dist -am package` builds: skiff-<project version>.tar.gz."""
    errors = []
    root = open(ROOT_POM, encoding="utf-8").read()
    m = re.search(r"<artifactId>skiff-parent</artifactId>\s*<version>([^<]+)</version>", root)
    if not m:
        return None, ["cannot find skiff-parent's <version> in pom.xml"]
    dist = open(DIST_POM, encoding="utf-8").read()
    if "<finalName>skiff-${project.version}</finalName>" not in dist:
        errors.append("dist/pom.xml no longer names its tarball skiff-${project.version}: update dist_tarball_name()")
    return f"skiff-{m.group(1)}.tar.gz", errors


def check_artifact_names() -> list:
    """Every concrete tarball name in the Terraform tree (docs, examples, descriptions, the
    checker's sample) is the one dist builds, so that copying the docs' commands works."""
    expected, errors = dist_tarball_name()
    if expected is None:
        return errors
    pattern = re.compile(r"skiff-[0-9][A-Za-z0-9.+-]*?\.(?:tar\.gz|tgz)")
    sources = {"check/tfcheck.py SAMPLE": SAMPLE["artifact_url"]}
    for base, _, files in os.walk(TF_ROOT):
        if ".terraform" in base or os.path.join(TF_ROOT, "check") == base:
            continue
        for name in files:
            if name.endswith((".md", ".tf", ".example", ".tftpl", ".sh")):
                path = os.path.join(base, name)
                sources[os.path.relpath(path, TF_ROOT)] = open(path, encoding="utf-8").read()
    found = 0
    for where, text in sources.items():
        for name in pattern.findall(text):
            found += 1
            if name != expected:
                errors.append(f"{where}: {name}, but dist builds {expected}")
    if not found:
        errors.append(f"no tarball name found anywhere (expected {expected} in the examples and README)")
    return errors


def check_env_sample() -> list:
    errors = []
    text = open(DIST_ENV_SAMPLE, encoding="utf-8").read()
    for flag in api_flags():
        if not re.search(r"^#?" + env_name(flag) + "=", text, re.M):
            errors.append(f"skiff.env.sample does not document {env_name(flag)} (--{flag})")
    for var in API_EXTRA_VARS:
        if not re.search(r"^#?" + var + "=", text, re.M):
            errors.append(f"skiff.env.sample does not document {var}")
    missing = set(api_flags()) - set(API_FLAGS)
    if missing:
        errors.append(f"API.md has flags this checker does not know: {sorted(missing)} (update API_FLAGS)")
    return errors


LIFECYCLE_STUBS = {
    # curl: answers instance metadata, logging each request (the script calls nothing else).
    "curl": r'''#!/bin/bash
method=GET url=
while [ $# -gt 0 ]; do
  case "$1" in -X) method=$2; shift ;; -H) shift ;; http*) url=$1 ;; esac
  shift
done
echo "curl $method $url" >>"$STUB_LOG"
case "$url" in
  */api/token) echo token ;;
  */autoscaling/target-lifecycle-state) echo "$STUB_STATE" ;;
  */instance-id) echo i-0123456789abcdef0 ;;
  *) echo '{}' ;;
esac
''',
    "aws": '#!/bin/bash\necho "aws $*" >>"$STUB_LOG"\n',
    # systemctl: logs whether the node would find the terminating marker when it gets SIGTERM.
    "systemctl": '#!/bin/bash\nm=absent; [ -e "$STUB_DATA_DIR/terminating" ] && m=present\n'
                 'echo "systemctl $* (marker $m)" >>"$STUB_LOG"\n',
    "sleep": '#!/bin/bash\n',
}


def check_lifecycle_script() -> list:
    """Runs files/skiff-lifecycle.sh against stubs of curl, aws and systemctl: an instance
    in service does nothing; a terminating one creates the node's terminating marker, stops
    the node (which leaves the cluster on that SIGTERM) and completes the lifecycle action,
    in that order, once; it never calls the node's API (so it needs no token)."""
    script = os.path.join(MODULE_DIR, "files", "skiff-lifecycle.sh")
    errors = []
    with tempfile.TemporaryDirectory() as d:
        stubs = os.path.join(d, "bin")
        os.mkdir(stubs)
        data_dir = os.path.join(d, "data")
        os.mkdir(data_dir)
        for name, text in LIFECYCLE_STUBS.items():
            with open(os.path.join(stubs, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(stubs, name), 0o755)
        with open(os.path.join(d, "hooks.env"), "w") as f:
            f.write("AWS_REGION=eu-west-1\nSECRET_PARAMETER=/skiff/prod/cluster-secret\n"
                    "ASG_NAME=skiff-prod\nLIFECYCLE_HOOK_NAME=skiff-prod-leave\n"
                    "ACL_PARAMETER=/skiff/prod/acl-bootstrap-token\nTLS_PARAMETER_PREFIX=/skiff/prod/tls\n")
        with open(os.path.join(d, "skiff.env"), "w") as f:
            f.write(f"SKIFF_ID=i-0123456789abcdef0\nSKIFF_API_ADDR=0.0.0.0:8001\nSKIFF_DATA_DIR={data_dir}\n")
        log = os.path.join(d, "log")

        def run(state: str) -> list:
            if os.path.exists(log):
                os.remove(log)
            env = dict(os.environ, PATH=f"{stubs}:{os.environ['PATH']}", STUB_LOG=log, STUB_DATA_DIR=data_dir,
                       STUB_STATE=state, HOOKS_ENV=os.path.join(d, "hooks.env"), NODE_ENV=os.path.join(d, "skiff.env"),
                       MARKER=os.path.join(d, "leaving"))
            p = subprocess.run(["bash", script, "--once"], env=env, capture_output=True, text=True, timeout=20)
            if p.returncode != 0:
                errors.append(f"skiff-lifecycle exited {p.returncode}: {p.stderr.strip()}")
            return open(log).read().splitlines() if os.path.exists(log) else []

        calls = run("InService")
        if any("169.254.169.254" not in c for c in calls) or os.listdir(data_dir):
            errors.append(f"an instance in service acted: {calls}, data dir {os.listdir(data_dir)}")
        calls = [c for c in run("Terminated") if "169.254.169.254" not in c]
        want = ["systemctl stop skiff.service (marker present)",
                "aws autoscaling complete-lifecycle-action --region eu-west-1 --auto-scaling-group-name skiff-prod "
                "--lifecycle-hook-name skiff-prod-leave --instance-id i-0123456789abcdef0 "
                "--lifecycle-action-result CONTINUE"]
        if calls != want:
            errors.append("a terminating instance made these calls:\n  " + "\n  ".join(calls)
                          + "\nexpected:\n  " + "\n  ".join(want))
        again = [c for c in run("Terminated") if "169.254.169.254" not in c]
        if again:
            errors.append(f"the leave ran twice: {again}")
    return errors


# --------------------------------------------------------------------------------------
# terraform fmt and validate


def check_archive() -> list:
    """The log archive's protections (issue #15): versioning on the snapshot bucket, Object Lock
    on it exactly when archive_object_lock_days > 0 (both the bucket flag, which only works at
    creation, and the default-retention rule), and the archive under the IAM-scoped prefix."""
    text = {name: open(os.path.join(MODULE_DIR, name)).read() for name in os.listdir(MODULE_DIR) if name.endswith(".tf")}
    everything = "\n".join(text.values())
    errors = []
    bucket = re.search(r'resource "aws_s3_bucket" "snapshots" \{(.*?)\n\}', everything, re.S)
    if not bucket or not re.search(r"object_lock_enabled\s*=\s*var\.archive_object_lock_days\s*>\s*0", bucket.group(1)):
        errors.append("aws_s3_bucket.snapshots must set object_lock_enabled = var.archive_object_lock_days > 0")
    lock = re.search(r'resource "aws_s3_bucket_object_lock_configuration" "archive" \{(.*?)\n\}', everything, re.S)
    if not lock:
        errors.append("no aws_s3_bucket_object_lock_configuration.archive")
    else:
        body = lock.group(1)
        if not re.search(r"count\s*=\s*var\.archive_object_lock_days\s*>\s*0\s*\?\s*1\s*:\s*0", body):
            errors.append("the Object Lock configuration must exist only when archive_object_lock_days > 0")
        for needed in ("aws_s3_bucket.snapshots.id", "var.archive_object_lock_mode", "var.archive_object_lock_days"):
            if needed not in body:
                errors.append(f"the Object Lock configuration does not use {needed}")
    if not re.search(r'versioning_configuration\s*\{\s*status\s*=\s*"Enabled"', everything):
        errors.append("versioning is not enabled on the snapshot bucket (the archive relies on it)")
    if 'log_archive ? "s3://${aws_s3_bucket.snapshots.id}/${var.snapshot_prefix}"' not in everything:
        errors.append("the user-data's log_archive must be the snapshot location (s3://bucket/snapshot_prefix), "
                      "which the node policy scopes its S3 rights to")
    return errors


def terraform_env() -> dict:
    env = dict(os.environ, TF_IN_AUTOMATION="1")
    cfg = env.get("TF_CLI_CONFIG_FILE")
    if cfg and not os.path.exists(cfg):
        env["TF_CLI_CONFIG_FILE"] = "/dev/null"  # silences "Unable to open CLI configuration file"
    return env


def providers_available() -> str:
    """Why init can get the aws provider, or '' when it cannot."""
    if os.environ.get("SKIFF_TF_VALIDATE") == "0":
        return ""
    if os.environ.get("SKIFF_TF_VALIDATE") == "1":
        return "SKIFF_TF_VALIDATE=1"
    home = os.path.expanduser("~")
    dirs = [os.environ.get("TF_PLUGIN_CACHE_DIR", ""), f"{home}/.terraform.d/plugins",
            f"{home}/.terraform.d/plugin-cache", f"{home}/.local/share/terraform/plugins",
            "/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins"]
    for d in dirs:
        if d and os.path.isdir(os.path.join(d, "registry.terraform.io", "hashicorp", "aws")):
            return f"aws provider in {d}"
    cfg = os.environ.get("TF_CLI_CONFIG_FILE") or f"{home}/.terraformrc"
    if os.path.isfile(cfg) and re.search(r"provider_installation|plugin_cache_dir", open(cfg).read()):
        return f"provider mirror or cache configured in {cfg}"
    try:
        socket.setdefaulttimeout(3)
        socket.getaddrinfo("registry.terraform.io", 443)
        urllib.request.urlopen("https://registry.terraform.io/.well-known/terraform.json", timeout=3).read()
        return "registry.terraform.io reachable"
    except Exception:  # noqa: BLE001 - any failure means: offline
        return ""


def run_validate(report):
    reason = providers_available()
    if not reason:
        print("SKIP terraform validate: no aws provider in a plugin cache or mirror and registry.terraform.io "
              "unreachable (SKIFF_TF_VALIDATE=1 forces it)")
        return
    env = terraform_env()
    cache = env.setdefault("TF_PLUGIN_CACHE_DIR", os.path.expanduser("~/.terraform.d/plugin-cache"))
    os.makedirs(cache, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        # Validate a copy so that .terraform/ and lock files never land in the repository.
        copy = os.path.join(d, "terraform")
        shutil.copytree(TF_ROOT, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
        for rel in ("modules/skiff-cluster", "examples/basic", "examples/restore"):
            errors = []
            for cmd in (["terraform", "init", "-backend=false", "-input=false", "-no-color"],
                        ["terraform", "validate", "-no-color"]):
                p = subprocess.run(cmd, cwd=os.path.join(copy, rel), capture_output=True, text=True,
                                   timeout=600, env=env)
                if p.returncode != 0:
                    errors = [f"{' '.join(cmd[:2])}: {(p.stdout + p.stderr).strip()}"]
                    break
            report(f"terraform validate {rel} ({reason})", errors)


def run_fmt(report):
    if not shutil.which("terraform"):
        print("SKIP terraform fmt and the user-data render: terraform is not installed")
        return False
    p = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-diff", "-no-color", TF_ROOT],
                       capture_output=True, text=True, timeout=60, env=terraform_env())
    report("terraform fmt -check -recursive terraform/",
           [] if p.returncode == 0 else [f"not formatted (run terraform fmt -recursive terraform/):\n{p.stdout}{p.stderr}"])
    return True


# --------------------------------------------------------------------------------------


def main(argv) -> int:
    if "--print-policy" in argv:
        print_policy(Module(MODULE_DIR))
        return 0
    if "--render" in argv:
        template, values, missing = template_inputs(Module(MODULE_DIR))
        print(render(template, values), end="")
        return 0 if not missing else 1
    passed, failed = [0], [0]

    def report(name: str, errors: list):
        if errors:
            failed[0] += 1
            print(f"FAIL {name}")
            for e in errors:
                print("     " + e.replace("\n", "\n     "))
        else:
            passed[0] += 1
            print(f"ok   {name}")

    have_terraform = run_fmt(report)
    report(f"checker self-test ({len(SELF_TESTS)} known-bad configurations caught)", self_test())
    dirs = [MODULE_DIR] + sorted(os.path.join(TF_ROOT, "examples", d) for d in os.listdir(os.path.join(TF_ROOT, "examples")))
    for d in dirs:
        mod = Module(d)
        rel = os.path.relpath(d, TF_ROOT)
        report(f"{rel}: {len(mod.files)} files parse, references resolve", check_references(mod))
        report(f"{rel}: module calls match the module's variables and outputs", check_module_calls(mod))
        report(f"{rel}: templatefile()/file() inputs match", check_files(mod))
    module = Module(MODULE_DIR)
    report(f"IAM: node policy has no wildcard action or resource ({len(policy_statements(module) or [])} statements)",
           check_policy(module))
    report("packaging: skiff.env.sample documents every flag of API.md §1-§5", check_env_sample())
    report(f"packaging: every tarball name in terraform/ is {dist_tarball_name()[0]} (what dist builds)",
           check_artifact_names())
    same = open(DIST_UNIT).read() == open(os.path.join(MODULE_DIR, "files", "skiff.service")).read()
    report("packaging: modules/skiff-cluster/files/skiff.service is dist's unit",
           [] if same else ["they differ: cp dist/src/main/packaging/systemd/skiff.service "
                            "terraform/modules/skiff-cluster/files/skiff.service"])
    report("network: no node or load balancer egress rule open to the internet; S3/DynamoDB by prefix list",
           egress_errors(module))
    report("alb: HTTP redirects to HTTPS with a certificate; HTTPS to TLS nodes (traffic and health checks)",
           alb_errors(module))
    report("lifecycle: skiff-lifecycle marks the stop as a termination, stops the node, completes the action (stubs)",
           check_lifecycle_script())
    report("archive: versioning, Object Lock iff archive_object_lock_days > 0, archive at the snapshot prefix",
           check_archive())
    if have_terraform:
        check_user_data(module, report)
        run_validate(report)
    print(f"terraform checks: {passed[0]} passed, {failed[0]} failed")
    return 1 if failed[0] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
