#[obs::golden_signals(business_event = "Order Placed")]
fn handle() {}

fn main() {}
