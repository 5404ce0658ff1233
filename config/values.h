#pragma once

// Checks and derivations for single values of the controller's configuration file. Pure
// functions; errors are kInvalid and say what is wrong and how to write the value, without a
// location (config.cc adds the file, line and key).

#include <string>

#include "base/result.h"

namespace ecsync::config {

// True for a non-empty name made of [a-z0-9_-] (repositories and projects).
bool IsValidName(const std::string& name);

// `text` lower-cased, with characters outside [a-z0-9_-] replaced by '-' and '-' trimmed from
// both ends; "" when nothing is left.
std::string SanitizeName(const std::string& text);

// The default repository name: the URL's last path segment without ".git", sanitized
// ("https://github.com/acme/Shop.git" -> "shop", "git@host:acme/x.y" -> "x-y").
std::string NameFromUrl(const std::string& url);

// A repository-relative path that stays inside the repository: not empty, not absolute, and
// not climbing above the root with "..".
base::Status CheckRepositoryPath(const std::string& path);

// "host:port" with a port 1..65535; an IPv6 host is written in brackets ("[::1]:8080").
base::Status CheckListenAddress(const std::string& address);

// "arn:<partition>:iam::<12 digits>:role/<name>".
base::Status CheckRoleArn(const std::string& arn);

// 40 hexadecimal digits.
bool IsFullCommit(const std::string& text);

// How a repository URL is fetched, as far as credentials are concerned.
enum class Transport { kHttp, kSsh, kOther };
Transport TransportOf(const std::string& url);

// True when the URL carries a password ("https://user:secret@host/...").
bool UrlHasPassword(const std::string& url);

// A valid environment variable / interpolation variable name: [A-Za-z_][A-Za-z0-9_]*.
bool IsVariableName(const std::string& name);

}  // namespace ecsync::config
