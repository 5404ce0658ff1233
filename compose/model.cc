#include "compose/model.h"

namespace ecsync::compose {

std::string SourceLocation::ToString() const {
  if (line <= 0) return file;
  // Appends rather than `":" + std::to_string(...)`: GCC 12 at -O3 reports a false -Wrestrict
  // inside std::string's insert for that form (GCC bug 105651).
  std::string out = file;
  out += ':';
  out += std::to_string(line);
  if (column > 0) {
    out += ':';
    out += std::to_string(column);
  }
  return out;
}

std::string Diagnostic::ToString() const {
  std::string out = location.ToString();
  if (!out.empty()) out += ": ";
  if (!path.empty()) out += path + ": ";
  return out + message;
}

const Service* Project::FindService(const std::string& name) const {
  for (const Service& service : services) {
    if (service.name == name) return &service;
  }
  return nullptr;
}

PortMapping::Scope PortMapping::HostScope() const {
  std::string ip = host_ip;
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  if (ip.empty() || ip == "0.0.0.0" || ip == "::") return Scope::kPublic;
  if (ip == "localhost" || ip == "::1" || ip.rfind("127.", 0) == 0) return Scope::kProjectOnly;
  return Scope::kOneInterface;
}

}  // namespace ecsync::compose
