//! The live set of endpoints: resolved from the specs on every refresh, each one's Info API
//! polled, unhealthy ones marked (and retried on the next refresh).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use hickory_resolver::TokioResolver;
use mnemos_storeapi::convert;
use mnemos_storeapi::thanos::info::info_client::InfoClient;
use mnemos_storeapi::thanos::info::InfoRequest;
use mnemos_storeapi::thanos::store_client::StoreClient;
use mnemos_tsdb::{Labels, Matcher};
use tonic::transport::{Channel, Endpoint as TonicEndpoint};

use mnemos_tls::{ClientTls, ClientTlsSpec};

use crate::endpoints::config::{ConfigSource, Target, Transport};
use crate::endpoints::file_sd::FileSd;
use crate::metrics::QueryMetrics;

/// How the set finds and checks endpoints.
#[derive(Debug)]
pub struct EndpointSetOptions {
    /// `--endpoint` values.
    pub targets: Vec<Target>,
    /// `--store.sd-files`.
    pub sd_files: Vec<PathBuf>,
    /// `--endpoint.sd-config(-file)`.
    pub config: Option<ConfigSource>,
    /// The TLS of `--grpc-client-tls-*`; `None`: plain text.
    pub tls: Option<ClientTlsSpec>,
    /// How long an Info call may take (`--endpoint.info-timeout`).
    pub info_timeout: Duration,
    /// How long dialling may take.
    pub connect_timeout: Duration,
}

/// What an endpoint said in its last Info answer.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointInfo {
    /// `sidecar`, `store`, `query`, … (Info's component type).
    pub component: String,
    /// Its external label sets.
    pub label_sets: Vec<Labels>,
    /// Oldest data (ms).
    pub min_time: i64,
    /// Newest data (ms).
    pub max_time: i64,
    /// Whether it strips replica labels itself (`without_replica_labels`).
    pub supports_without_replica_labels: bool,
    /// Whether it serves the Metric Metadata API.
    pub serves_metadata: bool,
    /// Whether it serves the Targets API.
    pub serves_targets: bool,
    /// Whether it serves the Rules API.
    pub serves_rules: bool,
    /// Whether it serves the Exemplars API.
    pub serves_exemplars: bool,
    /// Whether it serves the Status API (TSDB statistics).
    pub serves_status: bool,
}

/// An endpoint's state as `/api/v1/stores` shows it.
#[derive(Clone, Debug, Default)]
pub struct EndpointStatus {
    /// The last successful Info answer.
    pub info: Option<EndpointInfo>,
    /// Whether the last Info call succeeded.
    pub healthy: bool,
    /// When it was last checked.
    pub last_check: Option<SystemTime>,
    /// The last Info error, cleared on success.
    pub last_error: Option<String>,
}

/// One StoreAPI endpoint: one address, or an endpoint group (every address a name
/// resolves to, called round-robin: HA replicas of one querier).
#[derive(Debug)]
pub struct Endpoint {
    /// `host:port`, or the group's spec (`dns+query.eu:10901`).
    pub addr: String,
    tls: Option<ClientTlsSpec>,
    members: Vec<Member>,
    next: AtomicUsize,
    status: RwLock<EndpointStatus>,
}

/// One address of an endpoint, with its (shared, lazily connected) channel.
#[derive(Debug)]
struct Member {
    addr: String,
    channel: Channel,
    /// Whether its last Info call answered (calls go to members that did).
    healthy: AtomicBool,
}

/// A lazily connected channel to `addr`.
fn dial(
    addr: &str,
    connect_timeout: Duration,
    tls: Option<&Arc<ClientTls>>,
) -> Result<Channel, String> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let endpoint = TonicEndpoint::from_shared(format!("{scheme}://{addr}"))
        .map_err(|e| e.to_string())?
        .connect_timeout(connect_timeout)
        .tcp_nodelay(true);
    Ok(match tls {
        None => endpoint.connect_lazy(),
        Some(client) => {
            endpoint.connect_with_connector_lazy(mnemos_tls::Connector::new(client.clone()))
        }
    })
}

impl Endpoint {
    fn new(
        addr: String,
        members: &[String],
        connect_timeout: Duration,
        tls: Option<(ClientTlsSpec, Arc<ClientTls>)>,
    ) -> Result<Self, String> {
        let members = members
            .iter()
            .map(|m| {
                Ok(Member {
                    addr: m.clone(),
                    channel: dial(m, connect_timeout, tls.as_ref().map(|t| &t.1))?,
                    healthy: AtomicBool::new(true),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self {
            addr,
            tls: tls.map(|t| t.0),
            members,
            next: AtomicUsize::new(0),
            status: RwLock::new(EndpointStatus::default()),
        })
    }

    /// The addresses behind the endpoint (one, or a group's members).
    pub fn members(&self) -> Vec<String> {
        self.members.iter().map(|m| m.addr.clone()).collect()
    }

    /// The member the next call goes to: round-robin over the members whose last Info call
    /// answered (over all of them when none did). `None` for a group without members.
    fn pick(&self) -> Option<&Member> {
        let n = self.members.len();
        if n <= 1 {
            return self.members.first();
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &self.members[(start + i) % n])
            .find(|m| m.healthy.load(Ordering::Relaxed))
            .or_else(|| self.members.get(start % n))
    }

    /// The channel for one call: the endpoint's, or the next member's of a group. A group
    /// that resolved to no address fails every call `Unavailable`.
    pub fn channel(&self) -> Channel {
        match self.pick() {
            Some(m) => m.channel.clone(),
            // A channel to nowhere: calls fail at once (port 0 is never listened on).
            None => Channel::from_static("http://127.0.0.1:0").connect_lazy(),
        }
    }

    /// A StoreAPI client for one call (see [`Endpoint::channel`]).
    pub fn store_client(&self) -> StoreClient<Channel> {
        StoreClient::new(self.channel()).max_decoding_message_size(256 << 20)
    }

    /// The endpoint's state now.
    pub fn status(&self) -> EndpointStatus {
        self.status
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_status(&self, status: EndpointStatus) {
        *self.status.write().unwrap_or_else(|p| p.into_inner()) = status;
    }

    /// Asks every member for its Info; the endpoint is healthy when one answers, and its
    /// Info is the first answer in member order (a group's members are replicas).
    async fn check(&self, timeout: Duration) {
        let answers = futures::future::join_all(self.members.iter().map(|m| async move {
            let mut client = InfoClient::new(m.channel.clone());
            let answer = match tokio::time::timeout(timeout, client.info(InfoRequest {})).await {
                Ok(Ok(resp)) => Ok(resp.into_inner()),
                Ok(Err(e)) => Err(e.message().to_string()),
                Err(_) => Err(format!("info call timed out after {timeout:?}")),
            };
            m.healthy.store(answer.is_ok(), Ordering::Relaxed);
            answer
        }))
        .await;
        let grouped = self.members.len() != 1 || self.members[0].addr != self.addr;
        let mut first_error = None;
        let mut first_answer = None;
        for (m, answer) in self.members.iter().zip(answers) {
            match answer {
                Ok(resp) => {
                    first_answer.get_or_insert(resp);
                }
                Err(e) if grouped => {
                    first_error.get_or_insert(format!("{}: {e}", m.addr));
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let mut status = self.status();
        status.last_check = Some(SystemTime::now());
        let answer = first_answer.ok_or_else(|| {
            first_error.unwrap_or_else(|| "the group resolved to no address".to_string())
        });
        match answer {
            Ok(resp) => {
                let (min_time, max_time, without) = resp
                    .store
                    .as_ref()
                    .map(|s| (s.min_time, s.max_time, s.supports_without_replica_labels))
                    .unwrap_or((i64::MIN, i64::MAX, false));
                status.info = Some(EndpointInfo {
                    component: resp.component_type,
                    label_sets: resp
                        .label_sets
                        .into_iter()
                        .map(|ls| convert::labels(ls.labels))
                        .collect(),
                    min_time,
                    max_time,
                    supports_without_replica_labels: without,
                    serves_metadata: resp.metric_metadata.is_some(),
                    serves_targets: resp.targets.is_some(),
                    serves_rules: resp.rules.is_some(),
                    serves_exemplars: resp.exemplars.is_some(),
                    serves_status: resp.status.is_some(),
                });
                if !status.healthy {
                    tracing::info!(endpoint = %self.addr, "endpoint is healthy");
                }
                status.healthy = true;
                status.last_error = None;
            }
            Err(e) => self.fail(&mut status, e),
        }
        self.set_status(status);
    }

    fn fail(&self, status: &mut EndpointStatus, error: String) {
        if status.healthy
            || status.last_check.is_none()
            || status.last_error.as_ref() != Some(&error)
        {
            tracing::warn!(endpoint = %self.addr, %error, "endpoint is unhealthy");
        }
        status.healthy = false;
        status.last_error = Some(error);
    }

    /// Whether the endpoint may hold series matching `matchers` in `[mint, maxt]`, by its
    /// last Info answer (an endpoint never heard from may).
    pub fn may_match(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> bool {
        let status = self.status.read().unwrap_or_else(|p| p.into_inner());
        let Some(info) = &status.info else {
            return true;
        };
        if info.max_time < mint || info.min_time > maxt {
            return false;
        }
        info.label_sets.is_empty()
            || info
                .label_sets
                .iter()
                .any(|ls| labels_compatible(ls, matchers))
    }
}

/// Whether series carrying external labels `ext` can match `matchers`: a matcher on an
/// external label must accept its value (other matchers are the endpoint's business).
pub(crate) fn labels_compatible(ext: &Labels, matchers: &[Matcher]) -> bool {
    // A label that is not external may be on the series: the endpoint decides.
    matchers
        .iter()
        .all(|m| ext.get(&m.name).is_none_or(|v| m.matches(v)))
}

/// All endpoints, refreshed in the background.
pub struct EndpointSet {
    options: EndpointSetOptions,
    resolver: TokioResolver,
    sources: tokio::sync::Mutex<Sources>,
    endpoints: RwLock<BTreeMap<String, Arc<Endpoint>>>,
    metrics: QueryMetrics,
}

/// Where endpoints come from besides the flags, and the TLS clients built for them.
struct Sources {
    file_sd: FileSd,
    config: Option<ConfigSource>,
    /// One client per distinct TLS setting (each reloads its own files).
    tls: BTreeMap<ClientTlsSpec, Arc<ClientTls>>,
}

impl Sources {
    /// The TLS client for `spec`, built once.
    fn tls_client(&mut self, spec: &ClientTlsSpec) -> crate::Result<Arc<ClientTls>> {
        if let Some(client) = self.tls.get(spec) {
            return Ok(client.clone());
        }
        let client = Arc::new(ClientTls::new(spec.clone())?);
        self.tls.insert(spec.clone(), client.clone());
        Ok(client)
    }

    /// Every TLS setting the configuration names, loaded (a startup check).
    fn load_all(
        &mut self,
        targets: &[Target],
        global: &Option<ClientTlsSpec>,
    ) -> crate::Result<()> {
        for spec in targets.iter().filter_map(|t| match &t.transport {
            Transport::Tls(spec) => Some(spec),
            Transport::Global => global.as_ref(),
        }) {
            self.tls_client(spec)?;
        }
        Ok(())
    }
}

impl EndpointSet {
    /// A set that has not looked anything up yet (see [`EndpointSet::refresh`]).
    pub fn new(options: EndpointSetOptions, metrics: QueryMetrics) -> crate::Result<Self> {
        let resolver = TokioResolver::builder_tokio()
            .map_err(|e| crate::Error::Dns {
                name: "/etc/resolv.conf".into(),
                reason: e.to_string(),
            })?
            .build()
            .map_err(|e| crate::Error::Dns {
                name: "/etc/resolv.conf".into(),
                reason: e.to_string(),
            })?;
        let mut options = options;
        let mut sources = Sources {
            file_sd: FileSd::new(options.sd_files.clone()),
            config: options.config.take(),
            tls: BTreeMap::new(),
        };
        let mut configured = options.targets.clone();
        if let Some(config) = &mut sources.config {
            configured.extend(config.poll().0);
        }
        sources.load_all(&configured, &options.tls)?;
        if let Some(global) = &options.tls {
            sources.tls_client(global)?;
        }
        Ok(Self {
            options,
            resolver,
            sources: tokio::sync::Mutex::new(sources),
            endpoints: RwLock::new(BTreeMap::new()),
            metrics,
        })
    }

    /// Resolves every spec and file SD target, adds new addresses, drops vanished ones, and
    /// checks every endpoint's Info API (concurrently).
    pub async fn refresh(&self) {
        let mut targets = self.options.targets.clone();
        let mut sources = self.sources.lock().await;
        {
            let (found, errors) = sources.file_sd.poll();
            for e in errors {
                tracing::warn!(error = %e, "file SD");
            }
            targets.extend(found.into_iter().map(Target::global));
        }
        let mut failed_lookups = false;
        if let Some(config) = &mut sources.config {
            let (found, error) = config.poll();
            if let Some(e) = error {
                // Its previous endpoints stay, as for a failed DNS lookup.
                failed_lookups = true;
                tracing::error!(error = %e, "endpoint config not reloaded");
            }
            targets.extend(found);
        }
        targets.sort();
        targets.dedup();
        // Endpoint -> how it is dialled and its addresses: an address, or a group's spec and
        // the addresses it resolves to. A later target of the same endpoint wins (Thanos).
        let mut wanted: BTreeMap<String, (Option<ClientTlsSpec>, Vec<String>)> = BTreeMap::new();
        for target in &targets {
            let tls = match &target.transport {
                Transport::Global => self.options.tls.clone(),
                Transport::Tls(spec) => Some(spec.clone()),
            };
            match target.spec.resolve(&self.resolver).await {
                Ok(addrs) if target.group => {
                    wanted.insert(target.spec.to_string(), (tls, addrs));
                }
                Ok(addrs) => {
                    for addr in addrs {
                        let entry = (tls.clone(), vec![addr.clone()]);
                        if let Some((before, _)) = wanted.insert(addr.clone(), entry) {
                            if before != tls {
                                tracing::warn!(endpoint = %addr, "endpoint configured twice with different TLS: the last one is used");
                            }
                        }
                    }
                }
                Err(e) => {
                    failed_lookups = true;
                    tracing::warn!(endpoint = %target.spec, error = %e, "endpoint resolution failed");
                }
            }
        }
        let mut dialers = BTreeMap::new();
        for (addr, (tls, _)) in &wanted {
            let Some(spec) = tls else { continue };
            match sources.tls_client(spec) {
                Ok(client) => {
                    dialers.insert(addr.clone(), (spec.clone(), client));
                }
                Err(e) => {
                    failed_lookups = true;
                    tracing::error!(endpoint = %addr, error = %e, "endpoint TLS cannot be loaded: endpoint not added");
                }
            }
        }
        drop(sources);
        let current: Vec<Arc<Endpoint>> = {
            let mut map = self.endpoints.write().unwrap_or_else(|p| p.into_inner());
            for (addr, (tls, members)) in &wanted {
                if map
                    .get(addr)
                    .is_some_and(|e| &e.tls == tls && &e.members() == members)
                {
                    continue;
                }
                if tls.is_some() && !dialers.contains_key(addr) {
                    continue;
                }
                match Endpoint::new(
                    addr.clone(),
                    members,
                    self.options.connect_timeout,
                    dialers.get(addr).cloned(),
                ) {
                    Ok(e) => {
                        tracing::info!(endpoint = %addr, tls = tls.is_some(), members = %members.join(","), "endpoint added");
                        map.insert(addr.clone(), Arc::new(e));
                    }
                    Err(e) => tracing::warn!(endpoint = %addr, error = %e, "bad endpoint address"),
                }
            }
            // A failed lookup keeps what it resolved to before rather than dropping it.
            if !failed_lookups {
                map.retain(|addr, _| {
                    let keep = wanted.contains_key(addr);
                    if !keep {
                        tracing::info!(endpoint = %addr, "endpoint removed");
                    }
                    keep
                });
            }
            map.values().cloned().collect()
        };
        futures::future::join_all(current.iter().map(|e| e.check(self.options.info_timeout))).await;
        let healthy = current.iter().filter(|e| e.status().healthy).count();
        self.metrics.set_endpoints(healthy, current.len() - healthy);
    }

    /// Refreshes every `interval` until `stop` resolves.
    pub async fn run(
        self: Arc<Self>,
        interval: Duration,
        stop: impl std::future::Future<Output = ()>,
    ) {
        let mut stop = std::pin::pin!(stop);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => self.refresh().await,
                _ = &mut stop => return,
            }
        }
    }

    /// Every known endpoint.
    pub fn all(&self) -> Vec<Arc<Endpoint>> {
        self.endpoints
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mnemos_tsdb::MatchType;

    #[tokio::test]
    async fn a_group_calls_its_answering_members_round_robin() {
        let addrs: Vec<String> = (1..=3).map(|i| format!("127.0.0.{i}:10901")).collect();
        let group = Endpoint::new(
            "dns+query:10901".into(),
            &addrs,
            Duration::from_secs(1),
            None,
        )
        .expect("group");
        let picks = |n: usize| -> Vec<String> {
            (0..n)
                .map(|_| group.pick().expect("a member").addr.clone())
                .collect()
        };
        assert_eq!(picks(6), [&addrs[..], &addrs[..]].concat());
        group.members[1].healthy.store(false, Ordering::Relaxed);
        let p = picks(4);
        assert!(!p.contains(&addrs[1]), "{p:?}");
        assert!(p.contains(&addrs[0]) && p.contains(&addrs[2]), "{p:?}");
        for m in &group.members {
            m.healthy.store(false, Ordering::Relaxed);
        }
        // None answered: every member is tried in turn rather than none.
        assert_eq!(picks(3).len(), 3);
        let empty = Endpoint::new("dns+none:1".into(), &[], Duration::from_secs(1), None)
            .expect("empty group");
        assert!(empty.pick().is_none());
    }

    #[test]
    fn external_labels_prune_endpoints() {
        let ext = Labels::from_pairs([("cluster", "eu"), ("replica", "a")]);
        let eq = |n: &str, v: &str| Matcher::equal(n, v);
        assert!(labels_compatible(
            &ext,
            &[eq("__name__", "up"), eq("cluster", "eu")]
        ));
        assert!(!labels_compatible(&ext, &[eq("cluster", "us")]));
        let re = Matcher::new(MatchType::Regex, "cluster", "e.*").unwrap();
        assert!(labels_compatible(&ext, &[re]));
        let ne = Matcher::new(MatchType::NotEqual, "cluster", "eu").unwrap();
        assert!(!labels_compatible(&ext, &[ne]));
    }
}
