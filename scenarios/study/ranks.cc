#include "scenarios/study/ranks.h"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#ifdef FLEETSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace fleetsim {

Ranks& Ranks::World() {
  static Ranks world;
  return world;
}

Ranks::Ranks() {
#ifdef FLEETSIM_HAVE_MPI
  if (std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE")) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    joined_ = true;
  }
#endif
}

Ranks::~Ranks() {
#ifdef FLEETSIM_HAVE_MPI
  if (joined_) MPI_Finalize();
#endif
}

bool Ranks::built_with_mpi() const {
#ifdef FLEETSIM_HAVE_MPI
  return true;
#else
  return false;
#endif
}

void Ranks::Exchange(std::vector<std::string>& items) const {
  if (size_ == 1) return;
#ifdef FLEETSIM_HAVE_MPI
  // This rank's items, in order, each as (8-byte length, bytes).
  std::string mine;
  for (size_t k = 0; k < items.size(); ++k) {
    if (!this->mine(k)) continue;
    const uint64_t n = items[k].size();
    mine.append(reinterpret_cast<const char*>(&n), sizeof n);
    mine += items[k];
  }
  int my_bytes = static_cast<int>(mine.size());
  std::vector<int> bytes(static_cast<size_t>(size_)), offsets(static_cast<size_t>(size_));
  MPI_Allgather(&my_bytes, 1, MPI_INT, bytes.data(), 1, MPI_INT, MPI_COMM_WORLD);
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    offsets[static_cast<size_t>(r)] = total;
    total += bytes[static_cast<size_t>(r)];
  }
  std::string all(static_cast<size_t>(total), '\0');
  MPI_Allgatherv(mine.data(), my_bytes, MPI_CHAR, all.data(), bytes.data(), offsets.data(),
                 MPI_CHAR, MPI_COMM_WORLD);
  for (int r = 0; r < size_; ++r) {
    size_t at = static_cast<size_t>(offsets[static_cast<size_t>(r)]);
    for (size_t k = static_cast<size_t>(r); k < items.size(); k += static_cast<size_t>(size_)) {
      uint64_t n = 0;
      all.copy(reinterpret_cast<char*>(&n), sizeof n, at);
      at += sizeof n;
      items[k] = all.substr(at, n);
      at += n;
    }
  }
#else
  throw std::logic_error("Ranks::Exchange with several ranks but no MPI");
#endif
}

}  // namespace fleetsim
