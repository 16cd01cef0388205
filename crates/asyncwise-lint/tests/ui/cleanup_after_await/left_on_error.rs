// Readings: a counter left only on a failure (in a `match` arm on `Err`, an `if let Err`, the
// `else` of an `if let Ok`) with no leave on success undoes an entry that did not take; on
// success it stays entered by design (counted until the connection closes elsewhere), so a
// cancelled future leaves it as success does: not an enter/leave pair. An early exit before
// such an undo is still reported: that error skips the undo other failures get. A counter also
// left on success is a pair.
use std::sync::atomic::Ordering;

impl Pool {
    pub async fn open_connection(&self, addr: Addr) -> Result<Conn, Error> {
        self.connections.fetch_add(1, Ordering::Relaxed);
        match connect(addr).await {
            Ok(conn) => Ok(conn),
            Err(e) => {
                // ok: undoes the count of a connection that was never opened
                self.connections.fetch_sub(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    pub async fn open_checked(&self, addr: Addr) -> Result<Conn, Error> {
        self.connections.fetch_add(1, Ordering::Relaxed);
        let conn = connect(addr).await;
        if let Err(e) = &conn {
            // ok: only the failure is undone
            self.connections.fetch_sub(1, Ordering::Relaxed);
        }
        conn
    }

    pub async fn open_with_handshake(&self, addr: Addr) -> Result<Conn, Error> {
        self.connections.fetch_add(1, Ordering::Relaxed);
        let conn = connect(addr).await?; //~ cleanup_after_await
        match conn.handshake().await {
            Ok(()) => Ok(conn),
            Err(e) => {
                self.connections.fetch_sub(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    pub async fn request(&self, req: Request) -> Result<Reply, Error> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        match self.client.call(req).await {
            Ok(reply) => {
                self.in_flight.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
                Ok(reply)
            }
            Err(e) => {
                self.in_flight.fetch_sub(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }
}
