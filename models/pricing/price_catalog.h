// The price catalog: cloud GPU offers, owned server types and data-centre sites, loaded
// from YAML with every number's source and date (the shipped models/pricing/prices.yaml,
// then user files). docs/pricing.md is the reference of the file format.
//
// Strictness and overriding follow the hardware catalog (models/catalog/catalog.h):
// unknown keys, wrong units, out-of-range values and unknown source ids are positioned
// errors; a user file's entry whose `name` matches an existing one replaces it; a user
// file's `price_defaults` change the defaults key by key. Defaults are applied when an
// offer is resolved (Resolve / Make*Pool), not when it is read, so a user's new default
// $/kWh reaches the shipped server types that do not set their own.
//
// Device names are checked against the hardware catalog, which must outlive this object.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "models/catalog/source.h"
#include "models/pricing/pools.h"

namespace fleetsim {

class Catalog;
class ConfigNode;

// Numbers by key path as in YAML ("on_demand", "billing.granularity", "power.peak"), in
// base units, each with its source.
using NumberTable = std::map<std::string, SourcedValue>;

struct CloudOffer {
  std::string name;
  std::string provider;
  std::string sku;     // "" when not recorded
  std::string device;  // canonical hardware-catalog name
  int64_t gpus_per_instance = 1;
  std::vector<CloudPlan> plans;  // the plans this offer can be bought on; on_demand first
  SourceRef source;              // the entry's default source
  NumberTable numbers;           // as written in the file
  std::string file;
};

struct OwnedOffer {
  std::string name;
  std::string device;
  int64_t gpus_per_server = 1;
  std::string site;  // "" = price_defaults.owned.site
  SourceRef source;
  NumberTable numbers;  // as written
  std::string file;
};

struct Site {
  std::string name;
  SourceRef source;
  NumberTable numbers;  // pue, electricity, space, operations, fixed_operations
  std::string file;
};

class PriceCatalog {
 public:
  explicit PriceCatalog(const Catalog& hardware) : hardware_(&hardware) {}

  // Loads <data_dir>/models/pricing/prices.yaml. Throws ConfigError.
  static PriceCatalog LoadShipped(const std::string& data_dir, const Catalog& hardware);
  // A user price file (any of sources, price_defaults, sites, cloud_offers, owned_offers).
  void AddFile(const std::string& path);
  void AddDocument(const ConfigNode& root);

  const std::vector<CloudOffer>& cloud_offers() const { return cloud_; }
  const std::vector<OwnedOffer>& owned_offers() const { return owned_; }
  const std::vector<Site>& sites() const { return sites_; }
  const NumberTable& cloud_defaults() const { return cloud_defaults_; }
  const NumberTable& owned_defaults() const { return owned_defaults_; }
  const std::string& default_site() const { return default_site_; }

  // Case-insensitive; InputError with the closest name otherwise.
  const CloudOffer& FindCloud(const std::string& name) const;
  const OwnedOffer& FindOwned(const std::string& name) const;
  const Site& FindSite(const std::string& name) const;

  // Every number the cost model uses, with defaults and derived values filled in (e.g.
  // committed_1y = on_demand x (1 - committed_1y_discount) when the offer gives no price;
  // power.peak = gpus x TDP x server_factor). A derived number's note says how it was
  // derived. Throws InputError naming the offer when the result is inconsistent.
  NumberTable Resolve(const CloudOffer& offer) const;
  // The owned offer at `site` ("" = the offer's site, else the default site), with the
  // site's running costs under their own keys (pue, electricity, ...).
  NumberTable Resolve(const OwnedOffer& offer, const std::string& site = "") const;
  std::string SiteOf(const OwnedOffer& offer, const std::string& site = "") const;

  // Pools in base units. Throw InputError for an unknown offer or a plan the offer lacks.
  CloudPool MakeCloudPool(const std::string& offer, CloudPlan plan,
                          const std::string& pool_name = "", int64_t committed_instances = 0) const;
  OwnedPool MakeOwnedPool(const std::string& offer, int64_t servers,
                          const std::string& pool_name = "", const std::string& site = "") const;

 private:
  const Catalog* hardware_;
  NumberTable cloud_defaults_;  // keys as in an offer: committed_1y_discount, billing.minimum...
  NumberTable owned_defaults_;  // depreciation, residual, load_factor, procurement_lead_time
  std::string default_site_;
  std::vector<CloudOffer> cloud_;
  std::vector<OwnedOffer> owned_;
  std::vector<Site> sites_;
};

}  // namespace fleetsim
