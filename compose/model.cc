#include "compose/model.h"

namespace ecsync::compose {

std::string SourceLocation::ToString() const {
  if (line <= 0) return file;
  std::string out = file + ":" + std::to_string(line);
  if (column > 0) out += ":" + std::to_string(column);
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

}  // namespace ecsync::compose
