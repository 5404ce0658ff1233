#include "aws/paging.h"

#include "aws/json_protocol.h"

namespace ecsync::aws {

base::Status ForEachQueryPage(AwsClient& client, const ServiceInfo& service,
                              const std::string& action, const QueryParams& params, PageToken token,
                              const std::function<void(pugi::xml_node result)>& on_page) {
  std::string next;
  do {
    QueryParams paged = params;
    if (!next.empty()) paged.emplace_back(std::string(token.request), next);
    ECSYNC_ASSIGN_OR_RETURN(QueryResponse response, client.Call(service, action, paged));
    on_page(response.result);
    next = ChildText(response.result, token.response);
  } while (!next.empty());
  return base::Status::Ok();
}

base::Status ForEachJsonPage(const JsonPageFetch& fetch, PageToken token,
                             const std::function<void(const nlohmann::json& page)>& on_page) {
  std::string next;
  do {
    ECSYNC_ASSIGN_OR_RETURN(nlohmann::json page, fetch(next));
    on_page(page);
    next = JsonString(page, token.response);
  } while (!next.empty());
  return base::Status::Ok();
}

}  // namespace ecsync::aws
