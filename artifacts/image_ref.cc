#include "artifacts/image_ref.h"

#include <cctype>
#include <vector>

namespace ecsync::artifacts {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

// One repository path component: alnum runs joined by ".", "_", "__" or "-"+.
bool IsValidComponent(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  size_t i = 0;
  while (i < s.size()) {
    if (IsLowerAlnum(s[i])) {
      ++i;
      continue;
    }
    // A separator run between two alnum characters.
    size_t j = i;
    while (j < s.size() && !IsLowerAlnum(s[j])) ++j;
    std::string_view sep = s.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" ||
              sep.find_first_not_of('-') == std::string_view::npos;
    if (!ok) return false;
    i = j;
  }
  return true;
}

bool IsValidHostLabel(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (!std::isalnum(static_cast<unsigned char>(label.front())) ||
      !std::isalnum(static_cast<unsigned char>(label.back()))) {
    return false;
  }
  for (char c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

// The pieces of `s` between occurrences of `sep` (empty pieces kept).
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string_view::npos ? s.npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

bool LooksLikeRegistry(std::string_view component) {
  return component.find('.') != std::string_view::npos ||
         component.find(':') != std::string_view::npos || component == "localhost";
}

}  // namespace

std::string ImageRef::ToString() const {
  std::string out = registry + "/" + repository;
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

std::string ImageRef::Pinned() const { return registry + "/" + repository + "@" + digest; }

bool IsValidRegistryHost(std::string_view host) {
  std::string_view name = host;
  if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    for (char c : port) {
      if (!IsDigit(c)) return false;
    }
    if (std::stoi(std::string(port)) > 65535) return false;
    name = host.substr(0, colon);
  }
  if (name.empty() || name.size() > 253) return false;
  for (std::string_view label : Split(name, '.')) {
    if (!IsValidHostLabel(label)) return false;
  }
  return true;
}

bool IsValidRepository(std::string_view repository) {
  if (repository.empty() || repository.size() > 255) return false;
  for (std::string_view component : Split(repository, '/')) {
    if (!IsValidComponent(component)) return false;
  }
  return true;
}

bool IsValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(tag.front())) return false;
  for (char c : tag) {
    if (!word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool IsValidDigest(std::string_view digest) {
  size_t hex_length = 0;
  if (digest.starts_with("sha256:")) {
    hex_length = 64;
  } else if (digest.starts_with("sha512:")) {
    hex_length = 128;
  } else {
    return false;
  }
  std::string_view hex = digest.substr(7);
  if (hex.size() != hex_length) return false;
  for (char c : hex) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

base::Result<ImageRef> ParseImageRef(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return base::InvalidError("image reference \"" + std::string(text) + "\": " + why);
  };
  if (text.empty()) return invalid("empty");
  ImageRef ref;
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!IsValidDigest(ref.digest)) {
      return invalid("the digest must be sha256: and 64 lower-case hex digits");
    }
  }
  // A tag is what follows the last ':' when no '/' comes after it (a port's ':' does).
  if (size_t colon = rest.rfind(':');
      colon != std::string_view::npos && rest.find('/', colon) == std::string_view::npos) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!IsValidTag(ref.tag)) {
      return invalid("the tag must be [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    }
  }
  size_t slash = rest.find('/');
  if (slash != std::string_view::npos && LooksLikeRegistry(rest.substr(0, slash))) {
    ref.registry = std::string(rest.substr(0, slash));
    ref.repository = std::string(rest.substr(slash + 1));
    if (!IsValidRegistryHost(ref.registry)) return invalid("bad registry host");
  } else {
    ref.registry = "docker.io";
    ref.repository = std::string(rest);
    if (slash == std::string_view::npos) ref.repository = "library/" + ref.repository;
  }
  if (!IsValidRepository(ref.repository)) {
    return invalid(
        "the repository must be lower-case letters and digits in '/'-separated components, "
        "joined by '.', '_', '__' or '-'");
  }
  return ref;
}

std::optional<EcrRegistry> ParseEcrRegistry(std::string_view host) {
  std::vector<std::string_view> labels = Split(host, '.');
  // account . dkr . ecr[-fips] . region . amazonaws . com [. cn]
  if (labels.size() != 6 && labels.size() != 7) return std::nullopt;
  if (labels.size() == 7 && labels[6] != "cn") return std::nullopt;
  if (labels[1] != "dkr" || (labels[2] != "ecr" && labels[2] != "ecr-fips") ||
      labels[4] != "amazonaws" || labels[5] != "com") {
    return std::nullopt;
  }
  std::string_view account = labels[0];
  if (account.size() != 12) return std::nullopt;
  for (char c : account) {
    if (!IsDigit(c)) return std::nullopt;
  }
  std::string_view region = labels[3];
  if (region.empty()) return std::nullopt;
  for (char c : region) {
    if (!IsLowerAlnum(c) && c != '-') return std::nullopt;
  }
  return EcrRegistry{std::string(account), std::string(region)};
}

std::string EcrRegistryHost(const std::string& account_id, const std::string& region) {
  std::string host = account_id + ".dkr.ecr." + region + ".amazonaws.com";
  if (region.starts_with("cn-")) host += ".cn";
  return host;
}

}  // namespace ecsync::artifacts
