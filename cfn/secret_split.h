#pragma once

// `x-aws-keys: ["*"]`: the keys of a JSON secret are unknown when converting, so the secrets
// init container splits the secret itself, at run time, into one file per top-level key. The
// image is busybox (no jq), so the splitting is a small awk program run by busybox awk.
//
// What it accepts: one JSON object whose values are strings, numbers, true, false or null.
// Strings are unescaped (\" \\ \/ \b \f \n \r \t and \uXXXX, surrogate pairs included, as
// UTF-8 bytes); numbers, true and false are written as their literal text; null writes an
// empty file. It fails (exit 1, nothing written) on anything else: nested objects or arrays,
// a key that is not a safe file name ([A-Za-z0-9._-]+, not "." or ".."), a key given twice,
// \u0000 (awk strings cannot hold it), or text that is not JSON. Its messages (on stderr)
// name the directory and the key, never a value. Raw control characters inside strings,
// which strict JSON forbids, are written as they are.
//
// Pure functions of their arguments (the template stays deterministic); thread-safe.

#include <string>

namespace ecsync::cfn {

// Defines the shell function ecsync_split_json (for busybox sh; the awk program inside is
// single-quoted and contains no single quote). Put it in a script once, before any call.
std::string SplitJsonSecretFunction();

// A call of that function: splits the JSON in environment variable `variable` into
// `directory`/<key> (creating the directory), chmod `mode` (octal text, e.g. "0444") and,
// when `owner` ("uid:gid") is not empty, chown each file; exits the script on failure. The
// arguments are put into the script unquoted or in double quotes: they must hold only
// letters, digits and . _ - / : characters.
std::string SplitJsonSecretCall(const std::string& variable, const std::string& directory,
                                const std::string& mode, const std::string& owner);

}  // namespace ecsync::cfn
