// The processes of one search: a single process, or the ranks of an MPI job
// (`mpirun -np N fleetsim size ...`, with fleetsim built with -DFLEETSIM_MPI=ON and Open MPI).
// Every rank runs the same deterministic search; a step's work items are dealt round-robin
// (item k to rank k % size) and their results exchanged, so that every rank ends the step
// holding all of them -- and the output is identical to a single process's.
//
// A process joins MPI only when a launcher started it (OMPI_COMM_WORLD_SIZE or PMI_SIZE in the
// environment) and MPI was built in; otherwise it is rank 0 of 1.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace fleetsim {

class Ranks {
 public:
  static Ranks& World();
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool mine(size_t item) const {
    return static_cast<int>(item % static_cast<size_t>(size_)) == rank_;
  }
  // `items` has one slot per work item; this rank has filled the slots it owns (mine(k)).
  // Returns with every slot filled from its owner. Collective: every rank must call it with
  // the same number of items.
  void Exchange(std::vector<std::string>& items) const;
  bool built_with_mpi() const;
  ~Ranks();
  Ranks(const Ranks&) = delete;
  Ranks& operator=(const Ranks&) = delete;

 private:
  Ranks();
  int rank_ = 0;
  int size_ = 1;
  bool joined_ = false;
};

}  // namespace fleetsim
