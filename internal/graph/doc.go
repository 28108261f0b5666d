// Package graph plans the order in which resources are written: it keys
// resources by a 64-bit hash, finds reference cycles (strongly connected
// components) and gives each resource a level, so that writing level 0,
// then level 1, and so on, writes every resource after those it
// references, and each cycle in one transaction. It knows nothing of
// files or HTTP.
//
// A load is planned in passes over the data. The first counts references
// between types for TypeOrder, which orders groups of types and says which
// need ordering resource by resource (Cyclic). A later pass collects, for
// those groups only, the references between two resources of one group;
// their ends, numbered, are the nodes of a Graph, with an edge for each
// reference. Graph.Plan then gives each node a level and a component,
// which the upload consults while it reads the data again. Resources that
// no such reference touches are at level 0 in no cycle, and take no
// memory here.
//
// Memory, for n nodes and m edges: the Graph takes 8 bytes per edge and
// the Result 12 bytes per node (its component, and room for the level and
// size of as many components); while Plan runs it also takes about 28
// bytes per node and 4 per edge. The planner (internal/plan) keeps this
// bounded by planning the weakly connected components of the references
// in batches, each batch a Graph of its own.
package graph
