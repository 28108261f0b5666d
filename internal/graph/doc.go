// Package graph plans the order in which resources are written: it keys
// resources by a 64-bit hash, finds reference cycles (strongly connected
// components) and gives each resource a level, so that writing level 0,
// then level 1, and so on, writes every resource after those it
// references, and each cycle in one transaction. It knows nothing of
// files or HTTP.
//
// A load is planned in two passes over the data. The first pass adds the
// Key of every resource to an IndexBuilder, and counts references between
// types for TypeOrder, which orders groups of types and says which need
// ordering resource by resource (Cyclic). The second pass adds, for those
// groups only, an edge to a Graph for each reference between two
// resources of one group (Index.Lookup gives the nodes). Graph.Plan then
// gives each node a level and a component, which the upload consults
// while it reads the data again.
//
// Memory, for n resources and m edges: the Index takes 8.25 bytes per
// resource, the Graph 8 bytes per edge, and the Result 4 bytes per
// resource plus 8 per component. While Plan runs it also takes about 28
// bytes per node that an edge touches and 4 per edge. Ten million
// resources with two million edges thus plan in about 200 MB.
package graph
