#include "cfn/secret_split.h"

namespace ecsync::cfn {
namespace {

// Run as `awk -v v=<variable> -v d=<directory> -v m=<mode> -v o=<owner>` with LC_ALL=C, so
// that strings and regular expressions work on bytes. The secret is read from ENVIRON (-v
// would interpret backslashes in it). `s` holds the text not yet parsed; each step consumes
// a token from its front with match()/substr(), a run of plain characters at a time, so a
// string costs a copy per escape, not per character. Every key and value is parsed before
// the first file is written, so a bad document leaves no files behind. Error messages use
// show() on keys only; values are never printed.
constexpr char kProgram[] = R"awk(function die(msg) {
  printf "ecsync: %s: %s\n", d, msg > "/dev/stderr"
  exit 1
}
function ws() { sub(/^[ \t\r\n]+/, "", s) }
function show(k) { gsub(/[^ -~]/, "?", k); return "\"" k "\"" }
function hex4(h,  i, n) {
  n = 0
  for (i = 1; i <= 4; i++) n = n * 16 + index("0123456789abcdef", tolower(substr(h, i, 1))) - 1
  return n
}
function utf8(c) {
  if (c < 128) return sprintf("%c", c)
  if (c < 2048) return sprintf("%c%c", 192 + int(c / 64), 128 + c % 64)
  if (c < 65536) return sprintf("%c%c%c", 224 + int(c / 4096), 128 + int(c / 64) % 64, 128 + c % 64)
  return sprintf("%c%c%c%c", 240 + int(c / 262144), 128 + int(c / 4096) % 64,
    128 + int(c / 64) % 64, 128 + c % 64)
}
function str(what,  out, c, i, h, lo) {
  out = ""
  for (;;) {
    if (match(s, /^[^"\\]+/)) {
      out = out substr(s, 1, RLENGTH)
      s = substr(s, RLENGTH + 1)
    }
    c = substr(s, 1, 1)
    if (c == "\"") {
      s = substr(s, 2)
      return out
    }
    if (c == "") die(what " has no closing quote")
    c = substr(s, 2, 1)
    if (c != "u") {
      i = index("\"\\/bfnrt", c)
      if (i == 0) die(what " has an invalid escape")
      out = out substr(unescaped, i, 1)
      s = substr(s, 3)
      continue
    }
    if (!match(s, /^[\\]u[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]/))
      die(what " has an invalid \\u escape")
    h = hex4(substr(s, 3, 4))
    s = substr(s, 7)
    if (h >= 56320 && h < 57344) die(what " has an unpaired surrogate")
    if (h >= 55296 && h < 56320) {
      if (!match(s, /^[\\]u[dD][c-fC-F][0-9A-Fa-f][0-9A-Fa-f]/))
        die(what " has an unpaired surrogate")
      lo = hex4(substr(s, 3, 4))
      s = substr(s, 7)
      h = 65536 + (h - 55296) * 1024 + lo - 56320
    }
    if (h == 0) die(what " contains \\u0000, which cannot be written")
    out = out utf8(h)
  }
}
BEGIN {
  unescaped = "\"\\/" sprintf("%c%c%c%c%c", 8, 12, 10, 13, 9)
  s = ENVIRON[v]
  ws()
  if (substr(s, 1, 1) != "{") die("the secret is not a JSON object")
  s = substr(s, 2)
  ws()
  n = 0
  if (substr(s, 1, 1) == "}") s = substr(s, 2)
  else for (;;) {
    at = n ? " after key " show(key[n]) : ""
    if (substr(s, 1, 1) != "\"") die("expected a key in double quotes" at)
    s = substr(s, 2)
    k = str("a key" at)
    if (k !~ /^[A-Za-z0-9._-]+$/ || k == "." || k == "..")
      die("key " show(k) " cannot be a file name (letters, digits, . _ - only)")
    if (k in seen) die("key " show(k) " appears twice")
    seen[k] = 1
    ws()
    if (substr(s, 1, 1) != ":") die("expected : after key " show(k))
    s = substr(s, 2)
    ws()
    c = substr(s, 1, 1)
    what = "the value of key " show(k)
    if (c == "\"") {
      s = substr(s, 2)
      val = str(what)
    } else if (c == "{" || c == "[") {
      die(what " is an object or array; only strings, numbers, true, false and null can be files")
    } else if (match(s, /^(-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][-+]?[0-9]+)?|true|false|null)/)) {
      val = substr(s, 1, RLENGTH)
      s = substr(s, RLENGTH + 1)
      if (val == "null") val = ""
    } else {
      die(what " is not a JSON value")
    }
    key[++n] = k
    value[n] = val
    ws()
    c = substr(s, 1, 1)
    s = substr(s, 2)
    if (c == "}") break
    if (c != ",") die("expected , or } after " what)
    ws()
  }
  ws()
  if (s != "") die("unexpected text after the JSON object")
  for (i = 1; i <= n; i++) {
    f = d "/" key[i]
    printf "%s", value[i] > f
    if (close(f) != 0) die("cannot write " f)
    if (system("chmod " m " " f) != 0) die("cannot chmod " f)
    if (o != "" && system("chown " o " " f) != 0) die("cannot chown " f)
  }
})awk";

}  // namespace

std::string SplitJsonSecretFunction() {
  return std::string(
             "ecsync_split_json() { mkdir -p \"$2\" && LC_ALL=C awk -v v=\"$1\" "
             "-v d=\"$2\" -v m=\"$3\" -v o=\"$4\" '") +
         kProgram + "'; }; ";
}

std::string SplitJsonSecretCall(const std::string& variable, const std::string& directory,
                                const std::string& mode, const std::string& owner) {
  return "ecsync_split_json " + variable + " " + directory + " " + mode + " \"" + owner +
         "\" || exit 1; ";
}

}  // namespace ecsync::cfn
