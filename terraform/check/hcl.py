"""A small HCL2 reader for the offline Terraform checks (stdlib only).

It reads the native syntax (.tf files) and Terraform's template syntax (strings, heredocs,
templatefile() templates) far enough to check structure and references: bodies of
attributes and blocks, and for every expression its token stream with the expressions of
nested string templates flattened in. It does not evaluate expressions or know provider
schemas; `terraform validate` does that where providers can be installed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class HclError(Exception):
    """A syntax error, with the file and line it was found at."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass
class Token:
    kind: str  # ident, number, string, heredoc, op, newline, eof
    value: object  # str, or for strings/heredocs a list of template parts
    line: int


@dataclass
class Part:
    """One piece of a template: literal text, an interpolation or a directive."""

    kind: str  # lit, interp, directive
    text: str
    tokens: list = field(default_factory=list)  # for interp/directive: the expression tokens
    line: int = 0


@dataclass
class Attribute:
    name: str
    expr: list  # tokens
    line: int


@dataclass
class Block:
    type: str
    labels: list
    body: "Body"
    line: int


@dataclass
class Body:
    attributes: dict  # name -> Attribute
    blocks: list  # Block

    def blocks_of(self, type_: str) -> list:
        return [b for b in self.blocks if b.type == type_]


IDENT_START = re.compile(r"[A-Za-z_]")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
OPERATORS = ["...", "==", "!=", "<=", ">=", "&&", "||", "=>", "::",
             "{", "}", "[", "]", "(", ")", "=", ",", ".", ":", "?", "!",
             "<", ">", "+", "-", "*", "/", "%", "~"]
ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


class _Lexer:
    def __init__(self, text: str, path: str, line: int = 1):
        self.text, self.path, self.pos, self.line = text, path, 0, line

    def error(self, message: str) -> HclError:
        return HclError(self.path, self.line, message)

    def tokens(self, stop_at_close_brace: bool = False) -> list:
        """Tokenizes until the end, or (for an interpolation) until its unmatched '}'."""
        out, depth, text = [], 0, self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c in " \t\r":
                self.pos += 1
            elif c == "\n":
                out.append(Token("newline", "\n", self.line))
                self.line += 1
                self.pos += 1
            elif c == "#" or text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.error("unterminated /* comment")
                self.line += text.count("\n", self.pos, end)
                self.pos = end + 2
            elif c == '"':
                out.append(self._string())
            elif text.startswith("<<", self.pos) and re.match(r"<<-?[A-Za-z_]", text[self.pos:]):
                out.append(self._heredoc())
            elif IDENT_START.match(c):
                m = IDENT.match(text, self.pos)
                out.append(Token("ident", m.group(0), self.line))
                self.pos = m.end()
            elif c.isdigit():
                m = NUMBER.match(text, self.pos)
                out.append(Token("number", m.group(0), self.line))
                self.pos = m.end()
            else:
                for op in OPERATORS:
                    if text.startswith(op, self.pos):
                        break
                else:
                    raise self.error(f"unexpected character {c!r}")
                if stop_at_close_brace:
                    if op == "{":
                        depth += 1
                    elif op == "}":
                        if depth == 0:
                            self.pos += 1
                            return out
                        depth -= 1
                out.append(Token("op", op, self.line))
                self.pos += len(op)
        if stop_at_close_brace:
            raise self.error("unterminated ${ or %{ sequence")
        out.append(Token("eof", None, self.line))
        return out

    def _string(self) -> Token:
        start_line, text = self.line, self.text
        self.pos += 1
        parts, buf = [], []
        while True:
            if self.pos >= len(text) or text[self.pos] == "\n":
                raise HclError(self.path, start_line, "unterminated string")
            c = text[self.pos]
            if c == '"':
                self.pos += 1
                break
            if c == "\\":
                nxt = text[self.pos + 1:self.pos + 2]
                if nxt in ESCAPES:
                    buf.append(ESCAPES[nxt])
                    self.pos += 2
                elif nxt == "u":
                    buf.append(chr(int(text[self.pos + 2:self.pos + 6], 16)))
                    self.pos += 6
                else:
                    raise self.error(f"invalid escape \\{nxt} in string")
            elif text.startswith("$${", self.pos) or text.startswith("%%{", self.pos):
                buf.append(text[self.pos + 1:self.pos + 3])
                self.pos += 3
            elif text.startswith("${", self.pos) or text.startswith("%{", self.pos):
                if buf:
                    parts.append(Part("lit", "".join(buf)))
                    buf = []
                parts.append(self._sequence())
            else:
                buf.append(c)
                self.pos += 1
        if buf or not parts:
            parts.append(Part("lit", "".join(buf)))
        return Token("string", parts, start_line)

    def _sequence(self) -> Part:
        """Reads ${ expr } or %{ directive } starting at self.pos, with its tokens."""
        kind = "interp" if self.text[self.pos] == "$" else "directive"
        line, start = self.line, self.pos
        self.pos += 2
        inner = _Lexer(self.text, self.path, self.line)
        inner.pos = self.pos
        toks = inner.tokens(stop_at_close_brace=True)
        self.pos, self.line = inner.pos, inner.line
        toks = [t for t in toks if not (t.kind == "op" and t.value == "~")]
        return Part(kind, self.text[start:self.pos], [t for t in toks if t.kind != "newline"], line)

    def _heredoc(self) -> Token:
        m = re.match(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\n", self.text[self.pos:])
        if not m:
            raise self.error("malformed heredoc opener")
        start_line, marker = self.line, m.group(2)
        self.pos += m.end()
        self.line += 1
        lines = []
        while True:
            end = self.text.find("\n", self.pos)
            if end < 0:
                raw = self.text[self.pos:]
                if raw.strip() != marker:
                    raise HclError(self.path, start_line, f"heredoc {marker} is never closed")
                self.pos = len(self.text)
                break
            raw = self.text[self.pos:end]
            self.pos, self.line = end + 1, self.line + 1
            if raw.strip() == marker:
                break
            lines.append(raw + "\n")
        body = "".join(lines)
        return Token("heredoc", parse_template(body, self.path, start_line + 1), start_line)


def parse_template(text: str, path: str, line: int = 1) -> list:
    """Splits a template (heredoc body or templatefile() file) into literal, interpolation
    and directive parts; the expression parts carry their tokens."""
    parts, buf, pos = [], [], 0
    lexer = _Lexer(text, path, line)
    while pos < len(text):
        if text.startswith("$${", pos) or text.startswith("%%{", pos):
            buf.append(text[pos + 1:pos + 3])
            pos += 3
        elif text.startswith("${", pos) or text.startswith("%{", pos):
            if buf:
                parts.append(Part("lit", "".join(buf)))
                buf = []
            lexer.pos, lexer.line = pos, line + text.count("\n", 0, pos)
            parts.append(lexer._sequence())
            pos = lexer.pos
        else:
            buf.append(text[pos])
            pos += 1
    if buf:
        parts.append(Part("lit", "".join(buf)))
    return parts


def flatten(tokens: list) -> list:
    """The expression tokens with the tokens of every nested template part spliced in
    (each part's tokens wrapped in a 'template' marker pair so that traversals do not run
    across part boundaries)."""
    out = []
    for t in tokens:
        out.append(t)
        if t.kind in ("string", "heredoc"):
            for p in t.value:
                if p.kind != "lit":
                    out.append(Token("op", "(", t.line))
                    out.extend(flatten(p.tokens))
                    out.append(Token("op", ")", t.line))
    return out


class _Parser:
    def __init__(self, tokens: list, path: str):
        self.toks, self.i, self.path = tokens, 0, path

    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def error(self, tok: Token, message: str) -> HclError:
        return HclError(self.path, tok.line, message)

    def body(self, closing: bool) -> Body:
        attrs, blocks = {}, []
        while True:
            t = self.peek()
            if t.kind == "newline":
                self.i += 1
                continue
            if t.kind == "eof":
                if closing:
                    raise self.error(t, "missing '}' at end of file")
                return Body(attrs, blocks)
            if t.kind == "op" and t.value == "}":
                if not closing:
                    raise self.error(t, "unexpected '}'")
                self.i += 1
                return Body(attrs, blocks)
            if t.kind != "ident":
                raise self.error(t, f"expected an attribute or block name, found {t.value!r}")
            nxt = self.peek(1)
            if nxt.kind == "op" and nxt.value == "=":
                self.i += 2
                if t.value in attrs:
                    raise self.error(t, f"attribute {t.value!r} set twice")
                attrs[t.value] = Attribute(t.value, self.expression(t), t.line)
            else:
                blocks.append(self.block())

    def block(self) -> Block:
        head = self.peek()
        self.i += 1
        labels = []
        while True:
            t = self.peek()
            if t.kind == "string":
                if len(t.value) != 1 or t.value[0].kind != "lit":
                    raise self.error(t, "block labels cannot contain interpolations")
                labels.append(t.value[0].text)
            elif t.kind == "ident":
                labels.append(t.value)
            elif t.kind == "op" and t.value == "{":
                self.i += 1
                break
            else:
                raise self.error(t, f"expected a label or '{{' after block type {head.value!r}")
            self.i += 1
        body = self.body(closing=True)
        end = self.peek()
        if end.kind not in ("newline", "eof"):
            raise self.error(end, "a block must end with a newline after its '}'")
        return Block(head.value, labels, body, head.line)

    def expression(self, name_tok: Token) -> list:
        """Tokens up to the newline that ends the attribute (newlines inside brackets are
        part of the expression)."""
        out, stack = [], []
        pairs = {"(": ")", "[": "]", "{": "}"}
        while True:
            t = self.peek()
            if t.kind == "eof":
                if stack:
                    raise self.error(name_tok, f"unclosed {stack[-1]!r} in {name_tok.value!r}")
                break
            if t.kind == "newline" and not stack:
                break
            if t.kind == "op":
                if t.value in pairs:
                    stack.append(t.value)
                elif t.value in (")", "]", "}"):
                    if not stack:
                        if t.value == "}":
                            break  # the closing brace of a one-line block
                        raise self.error(t, f"unbalanced {t.value!r}")
                    if pairs[stack[-1]] != t.value:
                        raise self.error(t, f"{stack[-1]!r} closed by {t.value!r}")
                    stack.pop()
            out.append(t)
            self.i += 1
        if not [t for t in out if t.kind != "newline"]:
            raise self.error(name_tok, f"attribute {name_tok.value!r} has no value")
        return out


def parse_file(path: str) -> Body:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return parse_text(text, path)


def parse_text(text: str, path: str) -> Body:
    return _Parser(_Lexer(text, path).tokens(), path).body(closing=False)


def literal_string(tokens: list):
    """The value of an expression that is one plain string literal, else None."""
    toks = [t for t in tokens if t.kind != "newline"]
    if len(toks) == 1 and toks[0].kind == "string" and all(p.kind == "lit" for p in toks[0].value):
        return "".join(p.text for p in toks[0].value)
    return None


def render_string(tok: Token) -> str:
    """A string token as text, interpolations shown as ${...} (for reports)."""
    return "".join(p.text for p in tok.value)
