// The hardware catalog and the model cards, loaded from YAML with every number's source.
//
// The shipped files live in <data dir>/models/catalog/ (devices.yaml, models.yaml). Users
// add their own files with AddFile(); an entry whose name matches a shipped entry replaces
// it (so a user can correct or re-date a datasheet value), a new name is appended.
// Lookups accept the name or any alias, case-insensitively; a miss is an InputError that
// suggests the closest known name.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/catalog/device_spec.h"
#include "models/catalog/model_card.h"

namespace fleetsim {

class ConfigNode;

class Catalog {
 public:
  // Loads the shipped catalog from `data_dir` (the folder holding models/catalog/).
  static Catalog LoadShipped(const std::string& data_dir);

  // Adds a user file: it may hold `devices:`, `models:` and `sources:`. Throws ConfigError.
  void AddFile(const std::string& path);

  const std::vector<DeviceSpec>& devices() const { return devices_; }
  const std::vector<ModelCard>& models() const { return models_; }

  // Throw InputError("unknown device 'X'", suggestion) when not found.
  const DeviceSpec& FindDevice(const std::string& name) const;
  const ModelCard& FindModel(const std::string& name) const;
  const DeviceSpec* TryFindDevice(const std::string& name) const;
  const ModelCard* TryFindModel(const std::string& name) const;

  std::vector<std::string> DeviceNames() const;  // names and aliases
  std::vector<std::string> ModelNames() const;

 private:
  void LoadDocument(const ConfigNode& root);
  std::vector<DeviceSpec> devices_;
  std::vector<ModelCard> models_;
};

// The folder holding the shipped data: $FLEETSIM_DATA_DIR if set, else the source tree
// the binary was built from.
std::string DefaultDataDir();

}  // namespace fleetsim
