// libFuzzer target: arbitrary text through interpolation and the .env parser.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "compose/dotenv.h"
#include "compose/interpolate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::map<std::string, std::string> environment = {{"A", "a"}, {"EMPTY", ""}, {"B", "${A}"}};
  (void)ecsync::compose::Interpolate(text, environment);
  (void)ecsync::compose::ParseDotEnv(text, environment);
  return 0;
}
