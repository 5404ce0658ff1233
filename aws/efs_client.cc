#include "aws/efs_client.h"

#include <nlohmann/json.hpp>

#include "aws/encoding.h"

namespace ecsync::aws {
namespace {

using Json = nlohmann::json;

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// The Name field AWS derives from the Name tag, else the tag itself.
std::string NameOf(const Json& fs) {
  std::string name = Str(fs, "Name");
  if (!name.empty()) return name;
  auto tags = fs.find("Tags");
  if (tags == fs.end() || !tags->is_array()) return "";
  for (const Json& tag : *tags) {
    if (tag.is_object() && Str(tag, "Key") == "Name") return Str(tag, "Value");
  }
  return "";
}

FileSystem ParseFileSystem(const Json& fs) {
  FileSystem out;
  out.id = Str(fs, "FileSystemId");
  out.name = NameOf(fs);
  out.life_cycle_state = Str(fs, "LifeCycleState");
  auto encrypted = fs.find("Encrypted");
  out.encrypted = encrypted != fs.end() && encrypted->is_boolean() && encrypted->get<bool>();
  out.performance_mode = Str(fs, "PerformanceMode");
  out.throughput_mode = Str(fs, "ThroughputMode");
  return out;
}

}  // namespace

EfsClient::EfsClient(std::shared_ptr<AwsClient> client, int page_size)
    : client_(std::move(client)), page_size_(page_size) {}

base::Result<std::vector<FileSystem>> EfsClient::DescribeFileSystems(
    const std::optional<std::string>& id) {
  std::vector<FileSystem> out;
  std::string marker;
  do {
    AwsRequest request;
    request.method = "GET";
    request.path = "/2015-02-01/file-systems";
    // Parameters in name order (the canonical query sorts them anyway).
    std::string query;
    if (id) query = "FileSystemId=" + UriEncode(*id);
    if (!marker.empty()) query += (query.empty() ? "" : "&") + ("Marker=" + UriEncode(marker));
    if (page_size_ > 0) {
      query += (query.empty() ? "" : "&") + ("MaxItems=" + std::to_string(page_size_));
    }
    request.query = query;
    Json body;
    request.check_response = [&body](const HttpResponse& response) {
      body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
      if (!body.is_object()) return base::TransientError("malformed JSON in EFS response");
      return base::Status::Ok();
    };
    ECSYNC_RETURN_IF_ERROR(client_->Send(kEfsService, "DescribeFileSystems", request).status());
    auto systems = body.find("FileSystems");
    if (systems != body.end() && systems->is_array()) {
      for (const Json& fs : *systems) {
        if (fs.is_object()) out.push_back(ParseFileSystem(fs));
      }
    }
    marker = Str(body, "NextMarker");
  } while (!marker.empty());
  return out;
}

}  // namespace ecsync::aws
