/**
 * The cluster's building blocks on Redis (issue 23): the key layout, the
 * connection (loaded lazily: nothing here loads the `redis` client until a
 * connection is opened), each session's event stream (append, read by seq,
 * the node's one multiplexed reader and the session follower on it), the
 * lease and the watcher of expired leases, the node registry and
 * placement, command forwarding, the session index, the chat history, and
 * Redis health. docs/deployment.md says what each guarantees.
 */
export { ClusterError, isUnavailableError, type ClusterErrorCode } from "./errors.js";
export { NODES_KEY, NODE_ID_PATTERN, SESSIONS_KEY, SESSION_ID_PATTERN, checkNodeId, entryIdOf, nodeKeys, seqOfEntryId, sessionKeys, type NodeKeys, type SessionKeys } from "./keys.js";
export { closeRedis, isRedisUrl, openRedis, redactRedisUrl, whenReady, type RedisClient, type RedisConnectOptions } from "./redis-client.js";
export { RedisHealth, type RedisHealthStatus } from "./health.js";
export { openClusterNode, type ClusterNode, type ClusterNodeOptions } from "./cluster-node.js";
export { appendEvents, readSince, streamLastSeq, type AppendOptions, type ReadSinceOptions, type StreamEvent } from "./event-stream.js";
export { StreamAppender, type AppenderState, type StreamAppenderOptions } from "./stream-appender.js";
export { StreamMux, type EntriesListener, type Following, type StreamMuxOptions } from "./stream-mux.js";
export { streamTopId, type StreamEntry } from "./stream-entries.js";
export { SessionFollower, type FollowedSession, type SessionEvents } from "./session-follower.js";
export { DEFAULT_LEASE_MS, Lease, type LeaseLoss, type LeaseOptions } from "./lease.js";
export { LeaseWatcher, type LeaseWatcherOptions } from "./lease-watcher.js";
export { DEFAULT_NODE_TTL_MS, NodeInfoSchema, NodeRegistry, listNodes, type NodeInfo, type NodeRegistryOptions, type NodeReport } from "./node-registry.js";
export { chooseNode, type PlacementCandidate } from "./placement.js";
export { type ForwardedCommand } from "./command-entries.js";
export { CommandForwarder, type CommandForwarderOptions, type CommandToForward } from "./command-forwarder.js";
export { CommandInbox, type CommandInboxOptions, type ForwardedCommandHandler, type Serving } from "./command-inbox.js";
export { SessionIndex, type ClusterSession, type SessionMetaUpdate } from "./session-index.js";
export { HistoryStore, type HistoryStoreOptions } from "./history-store.js";
