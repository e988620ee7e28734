//! The live set of endpoints: resolved from the specs on every refresh, each one's Info API
//! polled, unhealthy ones marked (and retried on the next refresh).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use hickory_resolver::TokioResolver;
use mnemos_storeapi::thanos::info::info_client::InfoClient;
use mnemos_storeapi::thanos::info::InfoRequest;
use mnemos_storeapi::thanos::store_client::StoreClient;
use mnemos_tsdb::{Label, Labels, Matcher};
use tonic::transport::{Channel, Endpoint as TonicEndpoint};

use crate::endpoints::file_sd::FileSd;
use crate::endpoints::EndpointSpec;
use crate::metrics::QueryMetrics;

/// How the set finds and checks endpoints.
#[derive(Clone, Debug)]
pub struct EndpointSetOptions {
    /// `--endpoint` values.
    pub specs: Vec<EndpointSpec>,
    /// `--store.sd-files`.
    pub sd_files: Vec<PathBuf>,
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

/// One StoreAPI endpoint.
#[derive(Debug)]
pub struct Endpoint {
    /// `host:port`.
    pub addr: String,
    channel: Channel,
    status: RwLock<EndpointStatus>,
}

impl Endpoint {
    fn new(addr: String, connect_timeout: Duration) -> Result<Self, String> {
        let channel = TonicEndpoint::from_shared(format!("http://{addr}"))
            .map_err(|e| e.to_string())?
            .connect_timeout(connect_timeout)
            .tcp_nodelay(true)
            .connect_lazy();
        Ok(Self {
            addr,
            channel,
            status: RwLock::new(EndpointStatus::default()),
        })
    }

    /// A StoreAPI client on the endpoint's (shared, lazily connected) channel.
    pub fn store_client(&self) -> StoreClient<Channel> {
        StoreClient::new(self.channel.clone()).max_decoding_message_size(256 << 20)
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

    async fn check(&self, timeout: Duration) {
        let mut client = InfoClient::new(self.channel.clone());
        let answer = tokio::time::timeout(timeout, client.info(InfoRequest {})).await;
        let mut status = self.status();
        status.last_check = Some(SystemTime::now());
        match answer {
            Ok(Ok(resp)) => {
                let resp = resp.into_inner();
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
                        .map(|ls| {
                            Labels::from_labels(
                                ls.labels
                                    .into_iter()
                                    .map(|l| Label::new(l.name, l.value))
                                    .collect(),
                            )
                        })
                        .collect(),
                    min_time,
                    max_time,
                    supports_without_replica_labels: without,
                });
                if !status.healthy {
                    tracing::info!(endpoint = %self.addr, "endpoint is healthy");
                }
                status.healthy = true;
                status.last_error = None;
            }
            Ok(Err(e)) => self.fail(&mut status, e.message().to_string()),
            Err(_) => self.fail(
                &mut status,
                format!("info call timed out after {timeout:?}"),
            ),
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
fn labels_compatible(ext: &Labels, matchers: &[Matcher]) -> bool {
    // A label that is not external may be on the series: the endpoint decides.
    matchers
        .iter()
        .all(|m| ext.get(&m.name).is_none_or(|v| m.matches(v)))
}

/// All endpoints, refreshed in the background.
pub struct EndpointSet {
    options: EndpointSetOptions,
    resolver: TokioResolver,
    file_sd: tokio::sync::Mutex<FileSd>,
    endpoints: RwLock<BTreeMap<String, Arc<Endpoint>>>,
    metrics: QueryMetrics,
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
        let file_sd = FileSd::new(options.sd_files.clone());
        Ok(Self {
            options,
            resolver,
            file_sd: tokio::sync::Mutex::new(file_sd),
            endpoints: RwLock::new(BTreeMap::new()),
            metrics,
        })
    }

    /// Resolves every spec and file SD target, adds new addresses, drops vanished ones, and
    /// checks every endpoint's Info API (concurrently).
    pub async fn refresh(&self) {
        let mut specs = self.options.specs.clone();
        {
            let (targets, errors) = self.file_sd.lock().await.poll();
            for e in errors {
                tracing::warn!(error = %e, "file SD");
            }
            specs.extend(targets);
        }
        specs.sort();
        specs.dedup();
        let mut addrs = Vec::new();
        let mut failed_lookups = false;
        for spec in &specs {
            match spec.resolve(&self.resolver).await {
                Ok(a) => addrs.extend(a),
                Err(e) => {
                    failed_lookups = true;
                    tracing::warn!(endpoint = %spec, error = %e, "endpoint resolution failed");
                }
            }
        }
        addrs.sort();
        addrs.dedup();
        let current: Vec<Arc<Endpoint>> = {
            let mut map = self.endpoints.write().unwrap_or_else(|p| p.into_inner());
            for addr in &addrs {
                if map.contains_key(addr) {
                    continue;
                }
                match Endpoint::new(addr.clone(), self.options.connect_timeout) {
                    Ok(e) => {
                        tracing::info!(endpoint = %addr, "endpoint added");
                        map.insert(addr.clone(), Arc::new(e));
                    }
                    Err(e) => tracing::warn!(endpoint = %addr, error = %e, "bad endpoint address"),
                }
            }
            // A failed lookup keeps what it resolved to before rather than dropping it.
            if !failed_lookups {
                map.retain(|addr, _| {
                    let keep = addrs.binary_search(addr).is_ok();
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
