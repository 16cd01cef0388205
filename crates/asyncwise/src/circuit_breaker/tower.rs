//! A tower [`Layer`] and [`Service`] around a [`CircuitBreaker`] (cargo
//! feature `tower`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::{BreakerError, CircuitBreaker, Inner, Permit};

/// Wraps services in a [`CircuitBreaker`]; every service made by one layer
/// shares the layer's breaker. Every error of the inner service's calls
/// counts as a failure; an error from its `poll_ready` is passed on as
/// [`BreakerError::Inner`] without being counted (no call was admitted).
///
/// Readiness is the inner service's: an open breaker does not make the
/// service unready (that would stall callers), it makes `call` fail at once
/// with [`BreakerError::Open`] without calling the inner service.
///
/// ```
/// use std::time::Duration;
/// use asyncwise::{BreakerError, CircuitBreaker, CircuitBreakerLayer};
/// use tower_layer::Layer;
/// use tower_service::Service;
///
/// #[derive(Clone)]
/// struct Flaky;
///
/// impl Service<u32> for Flaky {
///     type Response = u32;
///     type Error = String;
///     type Future = std::future::Ready<Result<u32, String>>;
///     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), String>> {
///         std::task::Poll::Ready(Ok(()))
///     }
///     fn call(&mut self, n: u32) -> Self::Future {
///         std::future::ready(if n == 0 { Err("zero".into()) } else { Ok(n) })
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let breaker = CircuitBreaker::builder().consecutive_failures(1).build();
/// let mut service = CircuitBreakerLayer::new(breaker).layer(Flaky);
/// assert_eq!(service.call(0).await, Err(BreakerError::Inner("zero".to_string())));
/// assert!(service.call(1).await.unwrap_err().is_open());
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct CircuitBreakerLayer {
    breaker: CircuitBreaker,
}

impl CircuitBreakerLayer {
    /// A layer sharing `breaker`.
    ///
    /// ```
    /// let layer = asyncwise::CircuitBreakerLayer::new(asyncwise::CircuitBreaker::default());
    /// # let _ = layer;
    /// ```
    pub fn new(breaker: CircuitBreaker) -> Self {
        CircuitBreakerLayer { breaker }
    }
}

impl<S> Layer<S> for CircuitBreakerLayer {
    type Service = CircuitBreakerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CircuitBreakerService {
            inner,
            breaker: self.breaker.clone(),
        }
    }
}

/// The service made by [`CircuitBreakerLayer`].
///
/// ```
/// use asyncwise::{CircuitBreaker, CircuitBreakerService};
///
/// let service = CircuitBreakerService::new((), CircuitBreaker::default());
/// assert_eq!(service.breaker().state(), asyncwise::BreakerState::Closed);
/// ```
#[derive(Debug, Clone)]
pub struct CircuitBreakerService<S> {
    inner: S,
    breaker: CircuitBreaker,
}

impl<S> CircuitBreakerService<S> {
    /// Wraps `inner` in `breaker`.
    ///
    /// ```
    /// let service = asyncwise::CircuitBreakerService::new("inner", asyncwise::CircuitBreaker::default());
    /// # let _ = service;
    /// ```
    pub fn new(inner: S, breaker: CircuitBreaker) -> Self {
        CircuitBreakerService { inner, breaker }
    }

    /// The shared breaker.
    ///
    /// ```
    /// let service = asyncwise::CircuitBreakerService::new((), asyncwise::CircuitBreaker::default());
    /// assert_eq!(service.breaker().name(), "circuit-breaker");
    /// ```
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }
}

impl<S, Request> Service<Request> for CircuitBreakerService<S>
where
    S: Service<Request>,
{
    type Response = S::Response;
    type Error = BreakerError<S::Error>;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(BreakerError::Inner)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match Permit::new(Arc::clone(&self.breaker.inner)) {
            Ok(permit) => ResponseFuture {
                state: State::Running {
                    fut: self.inner.call(request),
                    permit: Some(permit),
                },
            },
            Err(retry_in) => ResponseFuture {
                state: State::Rejected { retry_in },
            },
        }
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Rejected { retry_in: Duration },
        Running { #[pin] fut: F, permit: Option<Permit<Arc<Inner>>> },
    }
}

pin_project! {
    /// The response future of [`CircuitBreakerService`]: the inner
    /// service's future, whose outcome the breaker counts when it finishes,
    /// or, when the breaker rejected the call, a future ready at once with
    /// [`BreakerError::Open`] (the inner service was not called).
    ///
    /// ```
    /// use asyncwise::{BreakerError, CircuitBreaker, CircuitBreakerService, ResponseFuture};
    /// use tower_service::Service;
    ///
    /// struct Refuses;
    ///
    /// impl Service<()> for Refuses {
    ///     type Response = ();
    ///     type Error = &'static str;
    ///     type Future = std::future::Ready<Result<(), &'static str>>;
    ///     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
    ///         std::task::Poll::Ready(Ok(()))
    ///     }
    ///     fn call(&mut self, (): ()) -> Self::Future {
    ///         std::future::ready(Err("refused"))
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let breaker = CircuitBreaker::builder().consecutive_failures(1).build();
    /// let mut service = CircuitBreakerService::new(Refuses, breaker);
    /// let first: ResponseFuture<_> = service.call(());
    /// assert_eq!(first.await, Err(BreakerError::Inner("refused")));
    /// assert!(service.call(()).await.unwrap_err().is_open()); // rejected without a call
    /// # }
    /// ```
    #[must_use = "futures do nothing unless polled"]
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, T, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<T, BreakerError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Rejected { retry_in } => Poll::Ready(Err(BreakerError::Open {
                retry_in: *retry_in,
            })),
            StateProj::Running { fut, permit } => {
                let result = std::task::ready!(fut.poll(cx));
                if let Some(mut permit) = permit.take() {
                    permit.finish(result.is_ok());
                }
                Poll::Ready(result.map_err(BreakerError::Inner))
            }
        }
    }
}
