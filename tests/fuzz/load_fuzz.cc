// libFuzzer target: arbitrary bytes as a compose file (with a .env and an included file beside
// it). The loader must return a Status, never crash, hang or exhaust memory.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "compose/loader.h"

namespace {

class FuzzReader final : public ecsync::compose::FileReader {
 public:
  explicit FuzzReader(std::string compose) : compose_(std::move(compose)) {}
  ecsync::base::Result<std::string> Read(const std::string& path) override {
    if (path == "compose.yaml") return compose_;
    if (path == ".env") return std::string("TAG=1\nNAME=\"fuzz\"\n");
    if (path == "other.yaml") return std::string("services:\n  other: {image: o}\n");
    return ecsync::base::NotFoundError(path + ": no such file");
  }

 private:
  std::string compose_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzReader reader(std::string(reinterpret_cast<const char*>(data), size));
  ecsync::compose::LoadOptions options;
  options.files = {"compose.yaml"};
  options.project_name = "fuzz";
  options.environment = {{"HOME", "/home/fuzz"}, {"A", "a"}};
  options.ecs_check = size % 2 == 0;
  ecsync::base::Result<ecsync::compose::Project> result = ecsync::compose::Load(options, reader);
  (void)result;
  return 0;
}
