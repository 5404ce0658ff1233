#pragma once

#include <optional>
#include <string_view>

namespace ecsync::web {

// The status UI's files (web/ui/), embedded at build time: "index.html", "app.css",
// "app.js". nullopt for any other name.
std::optional<std::string_view> UiFile(std::string_view name);

}  // namespace ecsync::web
