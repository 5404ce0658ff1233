#include "tests/support/local_registry.h"

#include <crypt.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <map>
#include <vector>

#include "base/hash.h"

namespace ecsync::testing {
namespace {

std::string Sha256Digest(const std::string& bytes) { return "sha256:" + base::Sha256Hex(bytes); }

}  // namespace

LocalRegistry::LocalRegistry(bool basic_auth) {
  port_ = FreeLoopbackPort();
  std::string config =
      "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: " +
      dir_.path() + "/data\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port_) + "\n";
  if (basic_auth) {
    // bcrypt, the only scheme the registry's htpasswd reader accepts.
    const char* hash = crypt(kRegistryPassword, "$2b$05$abcdefghijklmnopqrstuu");
    dir_.WriteFile("htpasswd", std::string(kRegistryUser) + ":" + hash + "\n");
    config += "auth:\n  htpasswd:\n    realm: test\n    path: " + dir_.path() + "/htpasswd\n";
  }
  const std::string config_path = dir_.WriteFile("config.yml", config);
  process_ = std::make_unique<Process>(
      std::vector<std::string>{"docker-registry", "serve", config_path},
      std::map<std::string, std::string>{}, dir_.path() + "/registry.log");
  if (!WaitUntil([&] { return PortAccepts(port_); }, std::chrono::seconds(30))) {
    ADD_FAILURE() << "docker-registry did not start: " << process_->Log();
  }
}

void LocalRegistry::Push(const std::string& repository, const std::string& tag,
                         const std::string& media_type, const std::string& layer_bytes,
                         std::string* digest) {
  httplib::Client client("127.0.0.1", port_);
  client.set_basic_auth(kRegistryUser, kRegistryPassword);
  const std::string config_blob =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  for (const std::string& blob : {config_blob, layer_bytes}) {
    // Start an upload, then finish it in one PUT of the whole blob.
    auto started = client.Post("/v2/" + repository + "/blobs/uploads/", "", "text/plain");
    ASSERT_TRUE(started && started->status == 202) << (started ? started->status : -1);
    std::string location = started->get_header_value("Location");
    if (size_t scheme = location.find("://"); scheme != std::string::npos) {
      location = location.substr(location.find('/', scheme + 3));
    }
    location += (location.find('?') == std::string::npos ? "?" : "&");
    auto r =
        client.Put(location + "digest=" + Sha256Digest(blob), blob, "application/octet-stream");
    ASSERT_TRUE(r && r->status == 201) << (r ? r->status : -1) << " " << (r ? r->body : "");
  }
  const bool oci = media_type.find("oci") != std::string::npos;
  const std::string manifest =
      R"({"schemaVersion":2,"mediaType":")" + media_type + R"(","config":{"mediaType":")" +
      (oci ? "application/vnd.oci.image.config.v1+json"
           : "application/vnd.docker.container.image.v1+json") +
      R"(","size":)" + std::to_string(config_blob.size()) + R"(,"digest":")" +
      Sha256Digest(config_blob) + R"("},"layers":[{"mediaType":")" +
      (oci ? "application/vnd.oci.image.layer.v1.tar+gzip"
           : "application/vnd.docker.image.rootfs.diff.tar.gzip") +
      R"(","size":)" + std::to_string(layer_bytes.size()) + R"(,"digest":")" +
      Sha256Digest(layer_bytes) + R"("}]})";
  auto r = client.Put("/v2/" + repository + "/manifests/" + tag, manifest, media_type);
  ASSERT_TRUE(r && r->status == 201) << (r ? r->status : -1) << " " << (r ? r->body : "");
  EXPECT_EQ(r->get_header_value("Docker-Content-Digest"), Sha256Digest(manifest));
  *digest = r->get_header_value("Docker-Content-Digest");
}

}  // namespace ecsync::testing
