#include "config/values.h"

#include <cctype>

#include "base/path.h"
#include "base/strings.h"
#include "compose/short_syntax.h"
#include "config/config.h"

namespace ecsync::config {

namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The last '/'-separated segment of `path`, ignoring trailing slashes.
std::string LastSegment(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool IsValidName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

std::string SanitizeName(const std::string& text) {
  std::string out;
  for (char c : text) {
    const char lower = base::AsciiLower(c);
    out.push_back(IsNameChar(lower) ? lower : '-');
  }
  const size_t begin = out.find_first_not_of('-');
  if (begin == std::string::npos) return "";
  const size_t end = out.find_last_not_of('-');
  return out.substr(begin, end - begin + 1);
}

std::string NameFromUrl(const std::string& url) {
  std::string trimmed = url;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
  // scp-like "host:path" and "host:repo" have no slash before the name.
  const size_t cut = trimmed.find_last_of("/:");
  std::string name = cut == std::string::npos ? trimmed : trimmed.substr(cut + 1);
  if (name.ends_with(".git")) name.resize(name.size() - 4);
  return SanitizeName(name);
}

base::Status CheckRepositoryPath(const std::string& path) {
  if (path.empty())
    return base::InvalidError("the path is empty; write a repository-relative path");
  // A leading backslash is a Windows root: refused here too, though git trees allow it.
  if (path[0] == '\\') {
    return base::InvalidError("\"" + path +
                              "\" is absolute; write it relative to the repository root");
  }
  return base::NormalizeRepositoryPath(path).status();
}

std::string ProjectNameForFile(const std::string& prefix, const std::string& file,
                               const std::string& repository) {
  const std::string folder = SanitizeName(LastSegment(base::DirName(base::NormalizePath(file))));
  if (folder.empty()) return prefix.empty() ? repository : prefix;
  return prefix.empty() ? folder : prefix + "-" + folder;
}

base::Status CheckListenAddress(const std::string& address) {
  const std::string example = "; write host:port, e.g. 0.0.0.0:8080 or [::1]:8080";
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return base::InvalidError("\"" + address + "\" has no port" + example);
  }
  const std::string host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  if (host.empty()) return base::InvalidError("\"" + address + "\" has no host" + example);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return base::InvalidError("\"" + address + "\" has an unclosed '['" + example);
    }
  } else if (host.find(':') != std::string::npos) {
    return base::InvalidError("\"" + address + "\": write an IPv6 host in brackets" + example);
  }
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/') {
      return base::InvalidError("\"" + address + "\" is not a host name or address" + example);
    }
  }
  const base::Result<uint32_t> number = compose::ParsePortNumber(port);
  if (!number.ok()) {
    return base::InvalidError("\"" + address + "\" has an invalid port \"" + port +
                              "\" (1..65535)" + example);
  }
  return base::Status::Ok();
}

base::Status CheckRoleArn(const std::string& arn) {
  const auto bad = [&arn]() {
    return base::InvalidError("\"" + arn +
                              "\" is not an IAM role ARN; write "
                              "arn:aws:iam::123456789012:role/NAME");
  };
  // arn:PARTITION:iam::ACCOUNT:role/NAME
  const std::string prefix = "arn:";
  if (!arn.starts_with(prefix)) return bad();
  const size_t partition_end = arn.find(':', prefix.size());
  if (partition_end == std::string::npos || partition_end == prefix.size()) return bad();
  std::string rest = arn.substr(partition_end + 1);
  if (!rest.starts_with("iam::")) return bad();
  rest = rest.substr(5);
  if (rest.size() < 13 || rest[12] != ':') return bad();
  for (size_t i = 0; i < 12; ++i) {
    if (!IsDigit(rest[i])) return bad();
  }
  rest = rest.substr(13);
  if (!rest.starts_with("role/") || rest.size() == 5) return bad();
  for (char c : rest) {
    if (std::isspace(static_cast<unsigned char>(c)) ||
        std::iscntrl(static_cast<unsigned char>(c))) {
      return bad();
    }
  }
  return base::Status::Ok();
}

bool IsFullCommit(const std::string& text) {
  if (text.size() != 40) return false;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Transport TransportOf(const std::string& url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = url.substr(0, scheme_end);
    scheme = base::AsciiLower(scheme);
    if (scheme == "http" || scheme == "https") return Transport::kHttp;
    if (scheme == "ssh") return Transport::kSsh;
    return Transport::kOther;
  }
  // scp-like "user@host:path": a colon before the first slash, and not a local path.
  const size_t colon = url.find(':');
  const size_t slash = url.find('/');
  if (colon != std::string::npos && colon > 0 && (slash == std::string::npos || colon < slash) &&
      url[0] != '.' && url[0] != '/') {
    return Transport::kSsh;
  }
  return Transport::kOther;
}

bool UrlHasPassword(const std::string& url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return false;
  const size_t authority = scheme_end + 3;
  const size_t authority_end = url.find_first_of("/?#", authority);
  const std::string host_part =
      url.substr(authority, authority_end == std::string::npos ? std::string::npos
                                                               : authority_end - authority);
  const size_t at = host_part.rfind('@');
  return at != std::string::npos && host_part.substr(0, at).find(':') != std::string::npos;
}

bool IsVariableName(const std::string& name) {
  if (name.empty() || IsDigit(name[0])) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

}  // namespace ecsync::config
