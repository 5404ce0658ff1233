#pragma once

// Test-only: load one compose.yaml with the ECS check, as the CLI does, and read its
// diagnostics as "file:line:column: path: message" strings.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "compose/loader.h"
#include "tests/compose/memory_file_reader.h"

namespace ecsync::compose::testing {

inline base::Result<Project> LoadChecked(const std::string& compose) {
  MemoryFileReader reader({{"compose.yaml", compose}});
  LoadOptions options;
  options.files = {"compose.yaml"};
  options.project_name = "p";
  options.ecs_check = true;
  return Load(options, reader);
}

// The warnings of a file that must load.
inline std::vector<std::string> Warnings(const std::string& compose) {
  base::Result<Project> project = LoadChecked(compose);
  EXPECT_TRUE(project.ok()) << project.status().ToString();
  std::vector<std::string> out;
  if (project.ok()) {
    for (const Diagnostic& warning : project->warnings) out.push_back(warning.ToString());
  }
  return out;
}

// The error message of a file that must fail to load.
inline std::string Errors(const std::string& compose) {
  base::Result<Project> project = LoadChecked(compose);
  EXPECT_FALSE(project.ok());
  return project.ok() ? "<loaded>" : project.status().message();
}

// The only service of a file that must load.
inline Service OnlyService(const std::string& compose) {
  base::Result<Project> project = LoadChecked(compose);
  EXPECT_TRUE(project.ok()) << project.status().ToString();
  if (!project.ok() || project->services.size() != 1) return Service{};
  return project->services[0];
}

}  // namespace ecsync::compose::testing
