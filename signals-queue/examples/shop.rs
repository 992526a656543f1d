//! A shop whose receipts survive crashes: orders are placed in database
//! transactions (some rolled back), a durable receiver sends each receipt
//! from a worker once the order is committed, and a flaky CRM sync fails
//! twice before it succeeds.
//!
//! ```sh
//! cargo run -p signals-queue --example shop                      # SQLite, a temporary file
//! DATABASE_URL=postgres://user:pass@localhost/shop \
//!     cargo run -p signals-queue --example shop --features postgres
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use signals_core::{receiver, signal};
use signals_queue::{Backoff, Queue};

/// An order was placed (sent inside the order's transaction).
#[signal(async, durable)]
#[derive(serde::Serialize, serde::Deserialize, Debug)]
pub struct OrderPlaced {
    pub order_id: i64,
    pub email: String,
    pub total_cents: i64,
}

/// What ran, in order, for the summary at the end.
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn log(line: String) {
    println!("  {line}");
    LOG.lock().unwrap().push(line);
}

/// Inline: runs during `send_in`, inside the transaction, rolled back or not.
#[receiver(signal = OrderPlaced)]
fn reserve_stock(order: &OrderPlaced) {
    log(format!(
        "inline   reserve stock for order {}",
        order.order_id
    ));
}

/// Durable: a job, run by a worker after the commit. Idempotent in real
/// life (keyed by order id): delivery is at least once.
#[receiver(signal = OrderPlaced, durable, retries = 5)]
async fn send_receipt(order: &OrderPlaced) -> Result<(), std::io::Error> {
    tokio::time::sleep(Duration::from_millis(5)).await; // the mail server
    log(format!(
        "worker   receipt for order {} ({:.2} EUR) sent to {}",
        order.order_id,
        order.total_cents as f64 / 100.0,
        order.email
    ));
    Ok(())
}

static CRM_CALLS: AtomicU32 = AtomicU32::new(0);

/// Durable and flaky: the CRM is down for its first two calls.
#[receiver(signal = OrderPlaced, durable, retries = 3, name = "crm_sync")]
async fn crm_sync(order: &OrderPlaced) -> Result<(), String> {
    let call = CRM_CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    if call <= 2 {
        log(format!(
            "worker   crm sync of order {} failed (call {call}: CRM unavailable), retried later",
            order.order_id
        ));
        return Err("CRM unavailable".to_owned());
    }
    log(format!(
        "worker   crm sync of order {} done",
        order.order_id
    ));
    Ok(())
}

/// Places an order in one transaction: the order's row, then the signal.
/// `declined` rolls the transaction back, taking the jobs with it.
macro_rules! place_order {
    ($pool:expr, $order:expr, $declined:expr) => {{
        let order: OrderPlaced = $order;
        let mut tx = $pool.begin().await?;
        sqlx::query("INSERT INTO shop_orders (id, email, total_cents) VALUES ($1, $2, $3)")
            .bind(order.order_id)
            .bind(&order.email)
            .bind(order.total_cents)
            .execute(&mut *tx)
            .await?;
        signals_queue::send_in(&mut tx, &order).await?;
        if $declined {
            tx.rollback().await?;
            println!("order {}: payment declined, rolled back", order.order_id);
        } else {
            tx.commit().await?;
            println!("order {}: committed", order.order_id);
        }
    }};
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) => url,
        Err(_) => {
            let path = std::env::temp_dir().join(format!("signals-shop-{}.db", std::process::id()));
            format!("sqlite://{}", path.display())
        }
    };
    println!("database: {}", url.split('@').next_back().unwrap_or(&url));
    let queue = Queue::connect(&url).await?;
    let schema = "CREATE TABLE IF NOT EXISTS shop_orders \
                  (id BIGINT PRIMARY KEY, email TEXT NOT NULL, total_cents BIGINT NOT NULL)";
    let clear = "DELETE FROM shop_orders";

    let orders = [
        (1, "ada@example.com", 4_200, false),
        (2, "bob@example.com", 990, true),
        (3, "cy@example.com", 15_000, false),
        (4, "dee@example.com", 2_500, true),
        (5, "eve@example.com", 7_350, false),
    ];
    println!("\nplacing orders (durable receivers write jobs in each transaction):");
    // The same code for either engine: the pool's type differs.
    macro_rules! place_all {
        ($pool:expr) => {{
            let pool = $pool;
            sqlx::raw_sql(schema).execute(pool).await?;
            sqlx::raw_sql(clear).execute(pool).await?;
            for (id, email, total, declined) in orders {
                let order = OrderPlaced {
                    order_id: id,
                    email: email.to_owned(),
                    total_cents: total,
                };
                place_order!(pool, order, declined);
            }
        }};
    }
    #[cfg(feature = "sqlite")]
    if let Some(pool) = queue.sqlite_pool() {
        place_all!(pool);
    }
    #[cfg(feature = "postgres")]
    if let Some(pool) = queue.postgres_pool() {
        place_all!(pool);
    }
    println!("jobs waiting: {:?}", queue.stats().await?);

    println!("\na worker in this process runs them:");
    let worker = queue
        .worker()
        .concurrency(2)
        .poll_interval(Duration::from_millis(20))
        .backoff(Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_secs(1),
        })
        .spawn();
    let start = Instant::now();
    loop {
        let stats = queue.stats().await?;
        if stats.queued + stats.retrying + stats.running == 0 {
            break;
        }
        if start.elapsed() > Duration::from_secs(30) {
            eprintln!("gave up waiting: {stats:?}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let report = worker.shutdown().await?;

    let log = LOG.lock().unwrap().clone();
    let receipts = log.iter().filter(|l| l.contains("receipt")).count();
    println!(
        "\nwhat ran: {} inline receiver calls (rolled-back orders included), {receipts} receipts \
         (committed orders only), {} CRM calls",
        log.iter().filter(|l| l.starts_with("inline")).count(),
        CRM_CALLS.load(Ordering::SeqCst)
    );
    println!(
        "worker: {} succeeded, {} retried, {} dead",
        report.succeeded, report.retried, report.dead
    );
    println!("final stats: {:?}", queue.stats().await?);
    println!("\ncatalog:\n{}", signals_core::catalog());
    Ok(())
}
