"""Writes the vendor-exact shop export test files under tests/ingest/exports/ (issue 12).

Every row below is made up (example.com addresses, 555-01xx and 138 0013 8xxx numbers). The
files are committed; this script only documents how they were written and rewrites them:

    python tests/ingest/exports/make_shop_files.py

Each vendor's conventions are reproduced on purpose: Shopify's 79-column orders export with
order-level fields on the first line of an order only; Taobao's GBK file with ="..." around
订单编号; JD's .xlsx; Youzan's header with 分销员 twice. The known answers are in each case's
expected.yaml, worked out by hand from these rows.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------------
# Shopify: Admin > Orders > Export (79 columns)
# --------------------------------------------------------------------------------------------
SHOPIFY_HEADER = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,"
    "Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,"
    "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,"
    "Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
    "Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,Billing City,"
    "Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,"
    "Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,"
    "Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,"
    "Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,"
    "Location,Device ID,Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,"
    "Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,Tax 4 Name,Tax 4 Value,Tax 5 Name,"
    "Tax 5 Value,Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,"
    "Payment ID,Payment Terms Name,Next Payment Due At,Payment References"
).split(",")
assert len(SHOPIFY_HEADER) == 79

# the columns Shopify repeats on every line of an order; all others are on the first line only
SHOPIFY_LINE_COLUMNS = {
    "Name",
    "Email",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Vendor",
    "Lineitem discount",
}


def _addr(prefix, name, street, city, zip_, prov, country, phone, prov_name):
    return {
        f"{prefix} Name": name,
        f"{prefix} Street": street,
        f"{prefix} Address1": street,
        f"{prefix} Address2": "",
        f"{prefix} Company": "",
        f"{prefix} City": city,
        f"{prefix} Zip": zip_,
        f"{prefix} Province": prov,
        f"{prefix} Country": country,
        f"{prefix} Phone": phone,
        f"{prefix} Province Name": prov_name,
    }


def _shopify_order(
    name,
    email,
    status,
    paid_at,
    fulfil,
    created,
    currency,
    lines,
    *,
    billing,
    shipping_cost="0.00",
    taxes="0.00",
    discount_code="",
    discount="0.00",
    refunded="0.00",
    cancelled="",
    method="Shopify Payments",
    order_id="",
    source="web",
    ship_method="Standard",
    risk="Low",
    phone="",
):
    subtotal = sum(float(q) * float(p) for q, _, p, _ in lines) - float(discount)
    total = subtotal + float(shipping_cost) + float(taxes)
    first = {
        "Financial Status": status,
        "Paid at": paid_at,
        "Fulfillment Status": fulfil,
        "Fulfilled at": paid_at if fulfil == "fulfilled" else "",
        "Accepts Marketing": "no",
        "Currency": currency,
        "Subtotal": f"{subtotal:.2f}",
        "Shipping": shipping_cost,
        "Taxes": taxes,
        "Total": f"{total:.2f}",
        "Discount Code": discount_code,
        "Discount Amount": discount,
        "Shipping Method": ship_method,
        "Cancelled at": cancelled,
        "Payment Method": method,
        "Payment Reference": f"c{order_id}.1" if paid_at else "",
        "Refunded Amount": refunded,
        "Outstanding Balance": "0.00" if paid_at else f"{total:.2f}",
        "Id": order_id,
        "Risk Level": risk,
        "Source": source,
        "Phone": phone,
        "Tax 1 Name": "",
        "Tax 1 Value": "",
        "Payment ID": f"c{order_id}.1" if paid_at else "",
        "Payment References": f"c{order_id}.1" if paid_at else "",
        **_addr("Billing", *billing),
        **_addr("Shipping", *billing),
    }
    rows = []
    for i, (qty, item, price, sku) in enumerate(lines):
        row = {h: "" for h in SHOPIFY_HEADER}
        row.update(
            {
                "Name": name,
                "Email": email,
                "Created at": created,
                "Lineitem quantity": qty,
                "Lineitem name": item,
                "Lineitem price": price,
                "Lineitem compare at price": "",
                "Lineitem sku": sku,
                "Lineitem requires shipping": "true",
                "Lineitem taxable": "true",
                "Lineitem fulfillment status": "fulfilled" if fulfil == "fulfilled" else "pending",
                "Vendor": "Juniper Goods",
                "Lineitem discount": "0.00",
            }
        )
        if i == 0:
            row.update({k: v for k, v in first.items() if k not in SHOPIFY_LINE_COLUMNS})
        rows.append(row)
    return rows


def shopify_orders() -> None:
    us_ana = (
        "Ana Reyes",
        "14 Aspen Way",
        "Fort Collins",
        "80521",
        "CO",
        "US",
        "(970) 555-0101",
        "Colorado",
    )
    uk = ("Oliver Smith", "3 Fenwick Road", "London", "SE15 4HW", "", "GB", "020 7946 0958", "")
    us_mei = (
        "Mei Chen",
        "200 Pine St",
        "Denver",
        "80202",
        "CO",
        "US",
        "+1 970-555-0102",
        "Colorado",
    )
    us_lucas = (
        "Lucas Park",
        "9 Elm Ct",
        "Boulder",
        "80301",
        "CO",
        "US",
        "(303) 555-0147",
        "Colorado",
    )
    us_sam = ("Sam Taylor", "", "Fort Collins", "", "CO", "US", "", "Colorado")
    us_nina = (
        "Nina Alvarez",
        "71 Oak Ave",
        "Loveland",
        "80537",
        "CO",
        "US",
        "(970) 555-0103",
        "Colorado",
    )
    de = ("Jonas Weber", "Alexanderplatz 1", "Berlin", "10178", "BE", "DE", "030 901820", "Berlin")
    rows = []
    rows += _shopify_order(
        "#1001",
        "ana@example.com",
        "paid",
        "2024-03-01 10:15:24 -0700",
        "fulfilled",
        "2024-03-01 10:15:22 -0700",
        "USD",
        [
            ("2", "Ceramic Mug - Sage", "14.00", "MUG-14-SG"),
            ("1", "Linen Tea Towel", "9.50", "TOW-01"),
        ],
        billing=us_ana,
        shipping_cost="5.00",
        order_id="5500000001001",
    )
    rows += _shopify_order(
        "#1002",
        "oliver@example.com",
        "paid",
        "2024-03-02 18:40:03 -0700",
        "fulfilled",
        "2024-03-02 18:40:01 -0700",
        "USD",
        [("3", "Beeswax Candle", "7.25", "CAN-BW")],
        billing=uk,
        shipping_cost="12.00",
        order_id="5500000001002",
    )
    rows += _shopify_order(
        "#1003",
        "mei@example.com",
        "partially_refunded",
        "2024-03-04 09:02:11 -0700",
        "fulfilled",
        "2024-03-04 09:02:09 -0700",
        "USD",
        [
            ("1", "Wool Throw - Oat", "68.00", "THR-OAT"),
            ("2", "Ceramic Mug - Sage", "14.00", "MUG-14-SG"),
        ],
        billing=us_mei,
        refunded="14.00",
        discount_code="SPRING10",
        discount="9.60",
        order_id="5500000001003",
    )
    rows += _shopify_order(
        "#1004",
        "lucas@example.com",
        "pending",
        "",
        "unfulfilled",
        "2024-03-05 21:30:00 -0700",
        "USD",
        [("1", "Wool Throw - Oat", "68.00", "THR-OAT")],
        billing=us_lucas,
        method="Bank Deposit",
        order_id="5500000001004",
    )
    rows += _shopify_order(
        "#1005",
        "",
        "paid",
        "2024-03-06 12:05:40 -0700",
        "fulfilled",
        "2024-03-06 12:05:40 -0700",
        "USD",
        [("1", "Beeswax Candle", "7.25", "CAN-BW")],
        billing=us_sam,
        method="Cash",
        order_id="5500000001005",
        source="pos",
        ship_method="",
    )
    rows += _shopify_order(
        "#1006",
        "ana@example.com",
        "paid",
        "2024-03-08 08:45:12 -0700",
        "fulfilled",
        "2024-03-08 08:45:10 -0700",
        "USD",
        [("4", "Linen Tea Towel", "9.50", "TOW-01")],
        billing=us_ana,
        order_id="5500000001006",
    )
    rows += _shopify_order(
        "#1007",
        "nina@example.com",
        "refunded",
        "2024-03-09 15:20:33 -0700",
        "fulfilled",
        "2024-03-09 15:20:31 -0700",
        "USD",
        [("1", "Stoneware Bowl", "25.00", "BWL-ST")],
        billing=us_nina,
        refunded="25.00",
        order_id="5500000001007",
    )
    rows += _shopify_order(
        "#1008",
        "jonas@example.com",
        "paid",
        "2024-03-11 11:11:50 -0700",
        "unfulfilled",
        "2024-03-11 11:11:48 -0700",
        "USD",
        [
            ("1", "Stoneware Bowl", "25.00", "BWL-ST"),
            ("2", "Beeswax Candle", "7.25", "CAN-BW"),
            ("1", "Linen Tea Towel", "9.50", "TOW-01"),
        ],
        billing=de,
        shipping_cost="18.00",
        order_id="5500000001008",
    )
    out = HERE / "shopify" / "orders" / "orders_export_1.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, SHOPIFY_HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    out.write_text(buf.getvalue(), encoding="utf-8")


SHOPIFY_CUSTOMERS_HEADER = (
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
    "Default Address Address1,Default Address Address2,Default Address City,"
    "Default Address Province Code,Default Address Country Code,Default Address Zip,"
    "Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,"
    "Tax Exempt,Tags"
).split(",")


def shopify_customers() -> None:
    # Shopify writes Customer ID (and zip codes) with a leading apostrophe
    rows = [
        [
            "'7310000000101",
            "Ana",
            "Reyes",
            "ana@example.com",
            "yes",
            "",
            "14 Aspen Way",
            "",
            "Fort Collins",
            "CO",
            "US",
            "'80521",
            "(970) 555-0101",
            "",
            "no",
            "75.50",
            "2",
            "",
            "no",
            "vip",
        ],
        [
            "'7310000000102",
            "Oliver",
            "Smith",
            "oliver@example.com",
            "no",
            "",
            "3 Fenwick Road",
            "",
            "London",
            "",
            "GB",
            "SE15 4HW",
            "020 7946 0958",
            "",
            "no",
            "33.75",
            "1",
            "",
            "no",
            "",
        ],
        [
            "'7310000000103",
            "Mei",
            "Chen",
            "mei@example.com",
            "yes",
            "",
            "200 Pine St",
            "",
            "Denver",
            "CO",
            "US",
            "'80202",
            "+1 970-555-0102",
            "",
            "no",
            "86.40",
            "1",
            "",
            "no",
            "",
        ],
        [
            "'7310000000104",
            "Lucas",
            "Park",
            "lucas@example.com",
            "no",
            "",
            "9 Elm Ct",
            "",
            "Boulder",
            "CO",
            "US",
            "'80301",
            "(303) 555-0147",
            "",
            "no",
            "0.00",
            "0",
            "",
            "no",
            "",
        ],
        [
            "'7310000000105",
            "Nina",
            "Alvarez",
            "nina@example.com",
            "no",
            "",
            "71 Oak Ave",
            "",
            "Loveland",
            "CO",
            "US",
            "'80537",
            "(970) 555-0103",
            "(970) 555-0103",
            "yes",
            "0.00",
            "1",
            "",
            "no",
            "",
        ],
        [
            "'7310000000106",
            "Jonas",
            "Weber",
            "jonas@example.com",
            "no",
            "Weber Design",
            "Alexanderplatz 1",
            "",
            "Berlin",
            "BE",
            "DE",
            "'10178",
            "030 901820",
            "",
            "no",
            "58.00",
            "1",
            "",
            "yes",
            "wholesale",
        ],
        [
            "'7310000000107",
            "Priya",
            "Natarajan",
            "priya@example.com",
            "yes",
            "",
            "5 Birch Ln",
            "",
            "Fort Collins",
            "CO",
            "US",
            "'80524",
            "",
            "",
            "no",
            "0.00",
            "0",
            "Newsletter signup",
            "no",
            "newsletter",
        ],
        [
            "'7310000000108",
            "Tom",
            "O'Brien",
            "tom@example.com",
            "no",
            "",
            "12 Canal St",
            "Apt 4",
            "Manchester",
            "",
            "GB",
            "M1 3HU",
            "+44 20 7946 0321",
            "",
            "no",
            "0.00",
            "0",
            "",
            "no",
            "",
        ],
    ]
    out = HERE / "shopify" / "customers" / "customers_export.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SHOPIFY_CUSTOMERS_HEADER)
    writer.writerows(rows)
    out.write_text(buf.getvalue(), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# WooCommerce: Analytics > Orders > Download (one row per order; refunds are rows of their own)
# --------------------------------------------------------------------------------------------
WOO_HEADER = [
    "Date",
    "Order #",
    "Status",
    "Customer",
    "Customer type",
    "Product(s)",
    "Items sold",
    "Coupon(s)",
    "Net sales",
    "Origin",
]


def woocommerce_orders() -> None:
    rows = [
        [
            "2024-03-02T09:14:05",
            "1201",
            "completed",
            "Emma Johnson",
            "new",
            "2× Ceramic Mug, 1× Linen Tea Towel",
            "3",
            "",
            "37.50",
            "Direct",
        ],
        [
            "2024-03-03T17:40:51",
            "1202",
            "completed",
            "Liam Brown",
            "new",
            "1× Wool Throw",
            "1",
            "",
            "68.00",
            "Organic: Google",
        ],
        [
            "2024-03-04T11:02:19",
            "1203",
            "processing",
            "Sofia García",
            "new",
            "3× Beeswax Candle",
            "3",
            "welcome10",
            "19.58",
            "Source: Newsletter",
        ],
        [
            "2024-03-05T08:30:00",
            "1204",
            "on-hold",
            "Noah Wilson",
            "new",
            "1× Stoneware Bowl",
            "1",
            "",
            "25.00",
            "Direct",
        ],
        [
            "2024-03-06T20:12:44",
            "1205",
            "completed",
            "Emma Johnson",
            "returning",
            "4× Linen Tea Towel",
            "4",
            "",
            "38.00",
            "Direct",
        ],
        [
            "2024-03-07T13:05:09",
            "1206",
            "completed",
            "Aiko Tanaka",
            "new",
            "1× Wool Throw, 2× Ceramic Mug",
            "3",
            "spring5",
            "91.00",
            "Referral: pinterest.com",
        ],
        [
            "2024-03-09T10:45:37",
            "1206",
            "refunded",
            "Aiko Tanaka",
            "new",
            "1× Wool Throw",
            "-1",
            "",
            "-68.00",
            "Referral: pinterest.com",
        ],
        [
            "2024-03-10T15:33:21",
            "1207",
            "completed",
            "Mateo Rossi",
            "new",
            "1× Stoneware Bowl, 1× Beeswax Candle",
            "2",
            "",
            "32.25",
            "Direct",
        ],
        [
            "2024-03-12T19:58:02",
            "1208",
            "processing",
            "Sofia García",
            "returning",
            "2× Stoneware Bowl",
            "2",
            "",
            "50.00",
            "Direct",
        ],
    ]
    out = HERE / "woocommerce" / "orders" / "wc-orders-report-export-17102345678901.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(WOO_HEADER)
    writer.writerows(rows)
    out.write_text(buf.getvalue(), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Taobao / Tmall: 卖家中心 > 已卖出的宝贝 > 批量导出 (ExportOrderList*.csv, GBK, one row per order)
# --------------------------------------------------------------------------------------------
TAOBAO_HEADER = (
    "订单编号,买家会员名,买家支付宝账号,支付单号,支付详情,买家应付货款,买家应付邮费,买家支付积分,"
    "总金额,返点积分,买家实际支付金额,买家实际支付积分,订单状态,买家留言,收货人姓名,收货地址,"
    "运送方式,联系电话,联系手机,订单创建时间,订单付款时间,宝贝标题,宝贝种类,物流单号,物流公司,"
    "订单备注,宝贝总数量,店铺Id,店铺名称,订单关闭原因,卖家服务费,买家服务费,发票抬头,是否手机订单,"
    "分阶段订单信息,特权订金订单id,是否上传合同照片,是否上传小票,是否代付,定金排名,修改后的sku,"
    "修改后的收货地址,异常信息,天猫卡券抵扣,集分宝抵扣,是否是O2O交易,打款商家金额"
).split(",")


def _tb_line(values: list[str]) -> str:
    """One line as Taobao writes it: 订单编号 as ="...", other cells quoted when needed."""
    cells = []
    for i, value in enumerate(values):
        if i == 0:
            cells.append(f'="{value}"')
        elif any(c in value for c in ',"\n'):
            cells.append('"' + value.replace('"', '""') + '"')
        else:
            cells.append(value)
    return ",".join(cells)


def _tb_order(
    no,
    buyer,
    alipay,
    goods,
    post,
    status,
    receiver,
    address,
    mobile,
    created,
    paid,
    title,
    kinds,
    qty,
    *,
    paid_amount=None,
    close_reason="",
    tel="",
    express=("", ""),
    note="",
    message="",
    mobile_order="是",
):
    total = float(goods) + float(post)
    actual = f"{total:.2f}" if paid_amount is None else paid_amount
    pay_no = f"2024{no[-12:]}00" if paid else ""
    detail = f"支付宝:{actual}" if paid else ""
    to_seller = f"{actual}元" if status == "交易成功" else "0.00元"
    return [
        no,
        buyer,
        alipay,
        pay_no,
        detail,
        goods,
        post,
        "0",
        f"{total:.2f}",
        "0",
        actual,
        "0",
        status,
        message,
        receiver,
        address,
        "快递",
        tel,
        mobile,
        created,
        paid,
        title,
        str(kinds),
        express[0],
        express[1],
        note,
        str(qty),
        "3300112233",
        "林间小铺",
        close_reason,
        "0",
        "0元",
        "",
        mobile_order,
        "",
        "",
        "否",
        "否",
        "否",
        "",
        "",
        "",
        "",
        "0.00",
        "0.00",
        "否",
        to_seller,
    ]


TAOBAO_ORDERS = [
    _tb_order(
        "3712024030500001001",
        "tb_buyer01",
        "bu***@example.com",
        "59.80",
        "0.00",
        "交易成功",
        "王小明",
        "北京 北京市 朝阳区 建国路88号 100022",
        "13800138001",
        "2024-03-05 14:02:11",
        "2024-03-05 14:02:40",
        "手工陶瓷马克杯 雾绿色 两只装",
        1,
        2,
        express=("YT7400000000101", "圆通速递"),
    ),
    _tb_order(
        "3712024030500001002",
        "小林同学",
        "13800138002",
        "128.00",
        "10.00",
        "交易成功",
        "林晓",
        "上海 上海市 徐汇区 漕溪北路333号 200030",
        "13800138002",
        "2024-03-05 20:11:05",
        "2024-03-05 20:11:30",
        "羊毛盖毯 燕麦色;亚麻茶巾",
        2,
        2,
        express=("SF1400000000102", "顺丰速运"),
    ),
    _tb_order(
        "3712024030600001003",
        "cat_lover_88",
        "ca***@example.com",
        "39.00",
        "0.00",
        "交易成功",
        "陈静",
        "浙江省 杭州市 西湖区 文三路100号 310012",
        "138****8003",
        "2024-03-06 09:30:44",
        "2024-03-06 09:31:02",
        "蜂蜡香薰蜡烛 三只装",
        1,
        3,
        express=("ZT7500000000103", "中通快递"),
    ),
    _tb_order(
        "3712024030800001004",
        "tb_buyer01",
        "bu***@example.com",
        "29.90",
        "0.00",
        "卖家已发货，等待买家确认",
        "王小明",
        "北京 北京市 朝阳区 建国路88号 100022",
        "13800138001",
        "2024-03-08 22:45:10",
        "2024-03-08 22:45:31",
        "亚麻茶巾 四条装",
        1,
        4,
        express=("YT7400000000104", "圆通速递"),
    ),
    _tb_order(
        "3712024030900001005",
        "海边的猫",
        "13800138005",
        "88.00",
        "8.00",
        "卖家已发货，等待买家确认",
        "赵海",
        "广东省 深圳市 南山区 科技园南路1号 518057",
        "138****8005",
        "2024-03-09 11:20:00",
        "2024-03-09 11:20:19",
        "粗陶饭碗 两只装",
        1,
        2,
        express=("SF1400000000105", "顺丰速运"),
        message="请周末送货",
    ),
    _tb_order(
        "3712024031000001006",
        "tb_9527abc",
        "95***@example.com",
        "45.50",
        "0.00",
        "买家已付款，等待卖家发货",
        "孙悦",
        "四川省 成都市 武侯区 人民南路四段12号 610041",
        "13800138006",
        "2024-03-10 16:08:52",
        "2024-03-10 16:09:10",
        "手工陶瓷马克杯 雾绿色",
        1,
        1,
    ),
    _tb_order(
        "3712024031100001007",
        "momo妈妈",
        "13800138007",
        "156.00",
        "0.00",
        "交易成功",
        "周敏",
        "江苏省 南京市 鼓楼区 中山路18号 210008",
        "13800138007",
        "2024-03-11 08:15:33",
        "2024-03-11 08:16:01",
        "羊毛盖毯 燕麦色",
        1,
        1,
        express=("ZT7500000000107", "中通快递"),
    ),
    _tb_order(
        "3712024031200001008",
        "阿杰jay",
        "jay***@example.com",
        "19.90",
        "6.00",
        "交易成功",
        "李杰",
        "湖北省 武汉市 洪山区 珞喻路1037号 430074",
        "13800138008",
        "2024-03-12 13:47:29",
        "2024-03-12 13:47:50",
        "蜂蜡香薰蜡烛",
        1,
        1,
        express=("YD4300000000108", "韵达快递"),
    ),
    _tb_order(
        "3712024031300001009",
        "路过的风",
        "",
        "59.80",
        "0.00",
        "等待买家付款",
        "吴风",
        "福建省 厦门市 思明区 湖滨南路90号 361004",
        "13800138009",
        "2024-03-13 23:59:01",
        "",
        "手工陶瓷马克杯 雾绿色 两只装",
        1,
        2,
        paid_amount="0.00",
        mobile_order="是",
    ),
    _tb_order(
        "3712024031400001010",
        "tb_buyer10",
        "13800138010",
        "68.00",
        "0.00",
        "交易关闭",
        "郑好",
        "山东省 青岛市 市南区 香港中路10号 266071",
        "13800138010",
        "2024-03-14 10:02:18",
        "2024-03-14 10:02:40",
        "羊毛盖毯 燕麦色 小号",
        1,
        1,
        close_reason="退款",
    ),
]


def taobao_orders() -> None:
    out = HERE / "taobao" / "orders" / "ExportOrderList202403151022.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(TAOBAO_HEADER)] + [_tb_line(r) for r in TAOBAO_ORDERS]
    out.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


def taobao_monthly() -> None:
    months = {
        "202401": [
            (
                "3712024010300002001",
                "tb_buyer01",
                "59.80",
                "2024-01-03 10:12:00",
                "交易成功",
                "手工陶瓷马克杯 雾绿色 两只装",
                2,
                "王小明",
                "13800138001",
            ),
            (
                "3712024010500002002",
                "小林同学",
                "29.90",
                "2024-01-05 21:40:13",
                "交易成功",
                "亚麻茶巾 四条装",
                4,
                "林晓",
                "13800138002",
            ),
            (
                "3712024010800002003",
                "海边的猫",
                "88.00",
                "2024-01-08 12:00:09",
                "交易成功",
                "粗陶饭碗 两只装",
                2,
                "赵海",
                "13800138005",
            ),
            (
                "3712024011200002004",
                "tb_9527abc",
                "39.00",
                "2024-01-12 08:31:45",
                "交易成功",
                "蜂蜡香薰蜡烛 三只装",
                3,
                "孙悦",
                "13800138006",
            ),
            (
                "3712024011500002005",
                "momo妈妈",
                "156.00",
                "2024-01-15 19:22:37",
                "交易关闭",
                "羊毛盖毯 燕麦色",
                1,
                "周敏",
                "13800138007",
            ),
            (
                "3712024012000002006",
                "阿杰jay",
                "45.50",
                "2024-01-20 14:05:58",
                "交易成功",
                "手工陶瓷马克杯 雾绿色",
                1,
                "李杰",
                "13800138008",
            ),
            (
                "3712024012600002007",
                "tb_buyer01",
                "19.90",
                "2024-01-26 09:09:09",
                "交易成功",
                "蜂蜡香薰蜡烛",
                1,
                "王小明",
                "13800138001",
            ),
            (
                "3712024013100002008",
                "路过的风",
                "128.00",
                "2024-01-31 23:10:44",
                "等待买家付款",
                "羊毛盖毯 燕麦色;亚麻茶巾",
                2,
                "吴风",
                "13800138009",
            ),
        ],
        "202402": [
            (
                "3712024020200003001",
                "cat_lover_88",
                "59.80",
                "2024-02-02 11:11:11",
                "交易成功",
                "手工陶瓷马克杯 雾绿色 两只装",
                2,
                "陈静",
                "13800138003",
            ),
            (
                "3712024020600003002",
                "tb_buyer01",
                "88.00",
                "2024-02-06 15:30:27",
                "交易成功",
                "粗陶饭碗 两只装",
                2,
                "王小明",
                "13800138001",
            ),
            (
                "3712024021400003003",
                "小林同学",
                "156.00",
                "2024-02-14 10:00:00",
                "交易成功",
                "羊毛盖毯 燕麦色",
                1,
                "林晓",
                "13800138002",
            ),
            (
                "3712024021800003004",
                "tb_buyer10",
                "29.90",
                "2024-02-18 17:45:03",
                "交易成功",
                "亚麻茶巾 四条装",
                4,
                "郑好",
                "13800138010",
            ),
            (
                "3712024022100003005",
                "海边的猫",
                "19.90",
                "2024-02-21 08:20:16",
                "交易关闭",
                "蜂蜡香薰蜡烛",
                1,
                "赵海",
                "13800138005",
            ),
            (
                "3712024022500003006",
                "tb_9527abc",
                "45.50",
                "2024-02-25 13:13:13",
                "卖家已发货，等待买家确认",
                "手工陶瓷马克杯 雾绿色",
                1,
                "孙悦",
                "13800138006",
            ),
            (
                "3712024022800003007",
                "新客小美",
                "39.00",
                "2024-02-28 20:48:50",
                "买家已付款，等待卖家发货",
                "蜂蜡香薰蜡烛 三只装",
                3,
                "钱美",
                "13800138011",
            ),
            (
                "3712024022900003008",
                "momo妈妈",
                "68.00",
                "2024-02-29 22:02:02",
                "等待买家付款",
                "羊毛盖毯 燕麦色 小号",
                1,
                "周敏",
                "13800138007",
            ),
        ],
    }
    for month, orders in months.items():
        rows = []
        for no, buyer, goods, created, status, title, qty, receiver, mobile in orders:
            paid = "" if status == "等待买家付款" else created[:-2] + "59"
            rows.append(
                _tb_order(
                    no,
                    buyer,
                    "",
                    goods,
                    "0.00",
                    status,
                    receiver,
                    "北京 北京市 海淀区 中关村大街1号 100080",
                    mobile,
                    created,
                    paid,
                    title,
                    title.count(";") + 1,
                    qty,
                    paid_amount="0.00" if not paid else None,
                    close_reason="退款" if status == "交易关闭" else "",
                )
            )
        out = HERE / "taobao" / "monthly" / f"ExportOrderList{month}.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        lines = [",".join(TAOBAO_HEADER)] + [_tb_line(r) for r in rows]
        out.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


TAOBAO_ITEMS_HEADER = (
    "订单编号,标题,价格,购买数量,外部系统编号,商品属性,套餐信息,备注,订单状态,商家编码".split(",")
)


def taobao_items() -> None:
    rows = [
        (
            "3712024030500001001",
            "手工陶瓷马克杯 雾绿色 两只装",
            "29.90",
            "2",
            "",
            "颜色分类：雾绿色",
            "",
            "",
            "交易成功",
            "MUG-14-SG",
        ),
        (
            "3712024030500001002",
            "羊毛盖毯 燕麦色",
            "118.00",
            "1",
            "",
            "颜色分类：燕麦色;尺寸：大号",
            "",
            "",
            "交易成功",
            "THR-OAT",
        ),
        (
            "3712024030500001002",
            "亚麻茶巾",
            "10.00",
            "1",
            "",
            "颜色分类：本白",
            "",
            "",
            "交易成功",
            "TOW-01",
        ),
        (
            "3712024030600001003",
            "蜂蜡香薰蜡烛 三只装",
            "13.00",
            "3",
            "",
            "香型：无香",
            "",
            "",
            "交易成功",
            "CAN-BW",
        ),
        (
            "3712024030800001004",
            "亚麻茶巾 四条装",
            "7.50",
            "4",
            "",
            "颜色分类：本白",
            "",
            "",
            "卖家已发货，等待买家确认",
            "TOW-01",
        ),
        (
            "3712024030900001005",
            "粗陶饭碗 两只装",
            "44.00",
            "2",
            "",
            "颜色分类：米白",
            "",
            "",
            "卖家已发货，等待买家确认",
            "BWL-ST",
        ),
        (
            "3712024031000001006",
            "手工陶瓷马克杯 雾绿色",
            "45.50",
            "1",
            "",
            "颜色分类：雾绿色",
            "",
            "",
            "买家已付款，等待卖家发货",
            "MUG-14-SG",
        ),
        (
            "3712024031100001007",
            "羊毛盖毯 燕麦色",
            "156.00",
            "1",
            "",
            "颜色分类：燕麦色;尺寸：大号",
            "",
            "",
            "交易成功",
            "THR-OAT",
        ),
        (
            "3712024031200001008",
            "蜂蜡香薰蜡烛",
            "19.90",
            "1",
            "",
            "香型：雪松",
            "",
            "",
            "交易成功",
            "CAN-BW",
        ),
        (
            "3712024031300001009",
            "手工陶瓷马克杯 雾绿色 两只装",
            "29.90",
            "2",
            "",
            "颜色分类：雾绿色",
            "",
            "",
            "等待买家付款",
            "MUG-14-SG",
        ),
        (
            "3712024031400001010",
            "羊毛盖毯 燕麦色 小号",
            "68.00",
            "1",
            "",
            "颜色分类：燕麦色;尺寸：小号",
            "",
            "",
            "交易关闭",
            "THR-OAT-S",
        ),
    ]
    out = HERE / "taobao" / "items" / "ExportOrderDetailList202403151022.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(TAOBAO_ITEMS_HEADER)] + [_tb_line(list(r)) for r in rows]
    out.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


# --------------------------------------------------------------------------------------------
# Pinduoduo: 商家后台 > 订单查询 > 导出 (one row per order, one SKU per order)
# --------------------------------------------------------------------------------------------
PDD_HEADER = (
    "商品,订单号,订单状态,商品总价(元),店铺优惠折扣(元),平台优惠折扣(元),邮费(元),用户实付金额(元),"
    "商家实收金额(元),商品数量(件),收货人,手机,省,市,区,街道,支付时间,拼单成功时间,订单确认时间,"
    "承诺发货时间,发货时间,确认收货时间,商品id,商品规格,样式ID,商家编码-SKU维度,商家编码-商品维度,"
    "快递单号,快递公司,售后状态,买家留言,商家备注"
).split(",")


def pinduoduo_orders() -> None:
    def row(
        goods,
        no,
        status,
        total,
        shop_d,
        plat_d,
        post,
        qty,
        who,
        phone,
        prov,
        city,
        dist,
        street,
        paid,
        spec,
        style,
        sku,
        after="无售后或售后取消",
        shipped="",
        received="",
        express=("", ""),
    ):
        user_paid = float(total) - float(shop_d) - float(plat_d) + float(post)
        seller = float(total) - float(shop_d) + float(post)
        promise = paid[:8] + f"{int(paid[8:10]) + 2:02d}" + paid[10:] if paid else ""
        return [
            goods,
            no,
            status,
            total,
            shop_d,
            plat_d,
            post,
            f"{user_paid:.2f}",
            f"{seller:.2f}",
            str(qty),
            who,
            phone,
            prov,
            city,
            dist,
            street,
            paid,
            paid,
            paid,
            promise,
            shipped,
            received,
            "42345678" + style,
            spec,
            style,
            sku,
            "JG-" + sku[:3],
            express[0],
            express[1],
            after,
            "",
            "",
        ]

    rows = [
        row(
            "手工陶瓷马克杯 雾绿色 两只装",
            "240305-562301234567001",
            "已签收",
            "49.80",
            "5.00",
            "2.00",
            "0.00",
            2,
            "王小明",
            "13800138021",
            "北京市",
            "北京市",
            "朝阳区",
            "建国路88号",
            "2024-03-05 14:02:11",
            "雾绿色 两只装",
            "1001",
            "MUG-14-SG",
            shipped="2024-03-06 10:00:00",
            received="2024-03-09 18:00:00",
            express=("YT7400000000201", "圆通快递"),
        ),
        row(
            "羊毛盖毯 燕麦色",
            "240305-562301234567002",
            "已签收",
            "128.00",
            "0.00",
            "10.00",
            "0.00",
            1,
            "林晓",
            "13800138022",
            "上海市",
            "上海市",
            "徐汇区",
            "漕溪北路333号",
            "2024-03-05 20:11:05",
            "燕麦色 大号",
            "1002",
            "THR-OAT",
            shipped="2024-03-06 11:00:00",
            received="2024-03-08 12:00:00",
            express=("ZT7500000000202", "中通快递"),
        ),
        row(
            "蜂蜡香薰蜡烛 三只装",
            "240306-562301234567003",
            "已发货，待签收",
            "39.00",
            "3.00",
            "0.00",
            "0.00",
            3,
            "陈静",
            "13800138023",
            "浙江省",
            "杭州市",
            "西湖区",
            "文三路100号",
            "2024-03-06 09:30:44",
            "无香 三只装",
            "1003",
            "CAN-BW",
            shipped="2024-03-07 09:00:00",
            express=("YD4300000000203", "韵达快递"),
        ),
        row(
            "亚麻茶巾 四条装",
            "240308-562301234567004",
            "待发货",
            "29.90",
            "0.00",
            "0.00",
            "0.00",
            4,
            "王小明",
            "13800138021",
            "北京市",
            "北京市",
            "朝阳区",
            "建国路88号",
            "2024-03-08 22:45:10",
            "本白 四条装",
            "1004",
            "TOW-01",
        ),
        row(
            "粗陶饭碗 两只装",
            "240309-562301234567005",
            "未发货，退款成功",
            "88.00",
            "8.00",
            "0.00",
            "0.00",
            2,
            "赵海",
            "13800138025",
            "广东省",
            "深圳市",
            "南山区",
            "科技园南路1号",
            "2024-03-09 11:20:00",
            "米白 两只装",
            "1005",
            "BWL-ST",
            after="退款成功",
        ),
        row(
            "手工陶瓷马克杯 雾绿色",
            "240310-562301234567006",
            "已签收",
            "25.90",
            "0.00",
            "1.00",
            "0.00",
            1,
            "孙悦",
            "13800138026",
            "四川省",
            "成都市",
            "武侯区",
            "人民南路四段12号",
            "2024-03-10 16:08:52",
            "雾绿色 单只",
            "1006",
            "MUG-14-SG",
            shipped="2024-03-11 09:30:00",
            received="2024-03-14 15:00:00",
            express=("YT7400000000206", "圆通快递"),
        ),
        row(
            "羊毛盖毯 燕麦色 小号",
            "240311-562301234567007",
            "已发货，退款成功",
            "68.00",
            "0.00",
            "0.00",
            "0.00",
            1,
            "周敏",
            "13800138027",
            "江苏省",
            "南京市",
            "鼓楼区",
            "中山路18号",
            "2024-03-11 08:15:33",
            "燕麦色 小号",
            "1007",
            "THR-OAT-S",
            after="退款成功",
            shipped="2024-03-12 10:00:00",
            express=("ZT7500000000207", "中通快递"),
        ),
        row(
            "蜂蜡香薰蜡烛",
            "240312-562301234567008",
            "已签收",
            "19.90",
            "0.00",
            "0.00",
            "3.00",
            1,
            "李杰",
            "13800138028",
            "湖北省",
            "武汉市",
            "洪山区",
            "珞喻路1037号",
            "2024-03-12 13:47:29",
            "雪松",
            "1008",
            "CAN-BW",
            shipped="2024-03-13 08:00:00",
            received="2024-03-15 19:00:00",
            express=("YD4300000000208", "韵达快递"),
        ),
        row(
            "手工陶瓷马克杯 雾绿色 两只装",
            "240313-562301234567009",
            "已取消",
            "49.80",
            "0.00",
            "0.00",
            "0.00",
            2,
            "吴风",
            "13800138029",
            "福建省",
            "厦门市",
            "思明区",
            "湖滨南路90号",
            "",
            "雾绿色 两只装",
            "1001",
            "MUG-14-SG",
        ),
    ]
    out = HERE / "pinduoduo" / "orders" / "pdd_orders_export_20240315.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(PDD_HEADER)
    writer.writerows(rows)
    out.write_bytes(buf.getvalue().encode("utf-8-sig"))


# --------------------------------------------------------------------------------------------
# JD (京东 POP 商家后台 > 订单管理 > 订单导出): one row per SKU, order-level fields on every row
# --------------------------------------------------------------------------------------------
JD_HEADER = (
    "订单号,商品ID,商品名称,订购数量,支付方式,下单时间,京东价,订单金额,结算金额,余额支付,应付金额,"
    "订单状态,订单类型,下单帐号,客户姓名,客户地址,联系电话,订单备注,发票类型,发票抬头,发票内容,"
    "商家备注,商家备注等级（等级1-5为由高到低）,运费金额,付款确认时间,增值税发票,货号,订单完成时间,"
    "订单来源,订单渠道"
).split(",")


def jd_orders() -> None:
    from openpyxl import Workbook

    def order(
        no,
        account,
        name,
        addr,
        phone,
        created,
        status,
        lines,
        *,
        pay="在线支付",
        freight="0.00",
        paid_at=None,
        done="",
    ):
        total = sum(q * p for _, _, q, p, _ in lines)
        payable = total + float(freight)
        out = []
        for sku_id, title, qty, price, code in lines:
            out.append(
                [
                    no,
                    sku_id,
                    title,
                    qty,
                    pay,
                    created,
                    f"{price:.2f}",
                    f"{total:.2f}",
                    f"{total:.2f}",
                    "0.00",
                    f"{payable:.2f}" if status != "等待付款" else f"{payable:.2f}",
                    status,
                    "普通订单",
                    account,
                    name,
                    addr,
                    phone,
                    "",
                    "电子发票",
                    "个人",
                    "商品明细",
                    "",
                    "",
                    freight,
                    paid_at if paid_at is not None else created,
                    "",
                    code,
                    done,
                    "移动端",
                    "京东商城",
                ]
            )
        return out

    rows = []
    rows += order(
        "285012345601",
        "jd_wangxm",
        "王小明",
        "北京朝阳区建国路88号",
        "13800138031",
        "2024-03-05 14:02:11",
        "完成",
        [
            ("100012345601", "手工陶瓷马克杯 雾绿色", 2, 29.90, "MUG-14-SG"),
            ("100012345603", "亚麻茶巾", 1, 10.00, "TOW-01"),
        ],
        done="2024-03-09 10:00:00",
    )
    rows += order(
        "285012345602",
        "lin_xiao_2020",
        "林晓",
        "上海徐汇区漕溪北路333号",
        "138****8032",
        "2024-03-06 09:12:40",
        "完成",
        [("100012345602", "羊毛盖毯 燕麦色", 1, 128.00, "THR-OAT")],
        done="2024-03-10 12:00:00",
    )
    rows += order(
        "285012345603",
        "chenjing88",
        "陈静",
        "浙江杭州市西湖区文三路100号",
        "13800138033",
        "2024-03-07 19:45:02",
        "等待确认收货",
        [
            ("100012345604", "蜂蜡香薰蜡烛 三只装", 1, 39.00, "CAN-BW"),
            ("100012345605", "粗陶饭碗", 2, 22.00, "BWL-ST"),
        ],
    )
    rows += order(
        "285012345604",
        "jd_wangxm",
        "王小明",
        "北京朝阳区建国路88号",
        "13800138031",
        "2024-03-08 22:30:00",
        "等待出库",
        [("100012345603", "亚麻茶巾", 4, 7.50, "TOW-01")],
    )
    rows += order(
        "285012345605",
        "zhaohai_sz",
        "赵海",
        "广东深圳市南山区科技园南路1号",
        "1******8035",
        "2024-03-09 11:00:00",
        "已取消",
        [("100012345605", "粗陶饭碗", 2, 22.00, "BWL-ST")],
        pay="货到付款",
        paid_at="",
    )
    rows += order(
        "285012345606",
        "sun_yue",
        "孙悦",
        "四川成都市武侯区人民南路四段12号",
        "13800138036",
        "2024-03-10 08:08:08",
        "等待付款",
        [("100012345601", "手工陶瓷马克杯 雾绿色", 1, 29.90, "MUG-14-SG")],
        paid_at="",
    )
    rows += order(
        "285012345607",
        "zhoumin_nj",
        "周敏",
        "江苏南京市鼓楼区中山路18号",
        "13800138037",
        "2024-03-11 13:30:30",
        "完成",
        [
            ("100012345602", "羊毛盖毯 燕麦色", 1, 128.00, "THR-OAT"),
            ("100012345604", "蜂蜡香薰蜡烛 三只装", 2, 39.00, "CAN-BW"),
        ],
        done="2024-03-15 09:00:00",
    )
    out = HERE / "jd" / "orders" / "jd_orders_export_20240315.xlsx"
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(JD_HEADER)
    for r in rows:
        ws.append([str(v) for v in r])  # JD writes every cell as text
    wb.properties.creator = "make_shop_files.py"
    import datetime as _dt

    wb.properties.created = wb.properties.modified = _dt.datetime(2024, 3, 15, 10, 22, 0)
    buf = io.BytesIO()
    wb.save(buf)
    # rewrite the zip with fixed entry times, so that rewriting the file gives the same bytes
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 3, 15, 10, 22, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))


# --------------------------------------------------------------------------------------------
# Youzan (有赞微商城 > 订单 > 所有订单 > 导出): one row per order
# --------------------------------------------------------------------------------------------
YOUZAN_HEADER = (
    "订单号,销售渠道,归属店铺,订单类型,订单状态,推广方式,订单来源,订单创建时间,买家付款时间,"
    "交易成功时间,付款方式,支付流水号,商品金额合计,运费,店铺优惠合计,应收订单金额,订单实付金额,"
    "支付优惠合计,订单实收金额,订单抵用积分数,店铺优惠方式,支付优惠方式,全部商品名称,商品种类数,"
    "订单配送方式,同城送达时间/提货时间,收货人省份,收货人城市,收货人地区,详细收货地址/提货地址,"
    "收货人/提货人,收货人手机号/提货人手机号,买家备注,订单星级,买家昵称,买家是否会员,买家手机号,"
    "下单网点,收银员,分销员,销售导购,专属导购,订单退款状态,订单已退款金额,商家订单备注,桌号,挂账主体,"
    "挂账手机号,团长订单,订单风险标签,分销员,分销员手机号,分销员所属店铺,分销员所属团队,"
    "分销员所属分组,分销员等级,订单佣金类型,订单佣金金额,订单下级卖货提成类型,订单下级卖货提成金额"
).split(",")


def youzan_orders() -> None:
    def row(
        no,
        status,
        created,
        paid,
        done,
        goods,
        post,
        discount,
        title,
        kinds,
        prov,
        city,
        dist,
        addr,
        receiver,
        recv_phone,
        nick,
        member,
        buyer_phone,
        refund_state="",
        refunded="0.00",
        pay="微信支付",
    ):
        due = float(goods) + float(post) - float(discount)
        actual = f"{due:.2f}" if paid else "0.00"
        return [
            no,
            "网店",
            "林间小铺",
            "普通订单",
            status,
            "",
            "商家小程序",
            created,
            paid,
            done,
            pay if paid else "",
            f"4200002024{no[-8:]}" if paid else "",
            goods,
            post,
            discount,
            f"{due:.2f}",
            actual,
            "0.00",
            actual,
            "0",
            "满减" if float(discount) else "",
            "",
            title,
            str(kinds),
            "快递发货",
            "",
            prov,
            city,
            dist,
            addr,
            receiver,
            recv_phone,
            "",
            "",
            nick,
            member,
            buyer_phone,
            "",
            "",
            "",
            "",
            "",
            refund_state,
            refunded,
            "",
            "",
            "",
            "",
            "否",
            "——",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]

    rows = [
        row(
            "E20240305140211012300001",
            "交易完成",
            "2024-03-05 14:02:11",
            "2024-03-05 14:02:30",
            "2024-03-12 14:02:30",
            "59.80",
            "0.00",
            "0.00",
            "手工陶瓷马克杯 雾绿色 两只装",
            1,
            "北京市",
            "北京市",
            "朝阳区",
            "建国路88号",
            "王小明",
            "13800138001",
            "小明",
            "是",
            "13800138001",
        ),
        row(
            "E20240305201105012300002",
            "交易完成",
            "2024-03-05 20:11:05",
            "2024-03-05 20:11:31",
            "2024-03-12 20:11:31",
            "138.00",
            "10.00",
            "10.00",
            "羊毛盖毯 燕麦色；亚麻茶巾",
            2,
            "上海市",
            "上海市",
            "徐汇区",
            "漕溪北路333号",
            "林晓",
            "138****8002",
            "Lin",
            "否",
            "13800138002",
        ),
        row(
            "E20240306093044012300003",
            "已发货",
            "2024-03-06 09:30:44",
            "2024-03-06 09:31:00",
            "",
            "39.00",
            "0.00",
            "0.00",
            "蜂蜡香薰蜡烛 三只装",
            1,
            "浙江省",
            "杭州市",
            "西湖区",
            "文三路100号",
            "陈静",
            "13800138003",
            "静静",
            "是",
            "13800138003",
        ),
        row(
            "E20240308224510012300004",
            "待发货",
            "2024-03-08 22:45:10",
            "2024-03-08 22:45:28",
            "",
            "29.90",
            "6.00",
            "0.00",
            "亚麻茶巾 四条装",
            1,
            "北京市",
            "北京市",
            "朝阳区",
            "建国路88号",
            "王小明",
            "13800138001",
            "小明",
            "是",
            "13800138001",
        ),
        row(
            "E20240309112000012300005",
            "待付款",
            "2024-03-09 11:20:00",
            "",
            "",
            "88.00",
            "0.00",
            "0.00",
            "粗陶饭碗 两只装",
            1,
            "广东省",
            "深圳市",
            "南山区",
            "科技园南路1号",
            "赵海",
            "13800138005",
            "海",
            "否",
            "13800138005",
        ),
        row(
            "E20240310160852012300006",
            "交易关闭",
            "2024-03-10 16:08:52",
            "2024-03-10 16:09:12",
            "",
            "45.50",
            "0.00",
            "0.00",
            "手工陶瓷马克杯 雾绿色",
            1,
            "四川省",
            "成都市",
            "武侯区",
            "人民南路四段12号",
            "孙悦",
            "13800138006",
            "悦悦",
            "否",
            "13800138006",
            refund_state="全额退款",
            refunded="45.50",
        ),
        row(
            "E20240311081533012300007",
            "交易完成",
            "2024-03-11 08:15:33",
            "2024-03-11 08:16:00",
            "2024-03-18 08:16:00",
            "156.00",
            "0.00",
            "6.00",
            "羊毛盖毯 燕麦色",
            1,
            "江苏省",
            "南京市",
            "鼓楼区",
            "中山路18号",
            "周敏",
            "138****8007",
            "momo",
            "是",
            "13800138007",
        ),
        row(
            "E20240312134729012300008",
            "交易完成",
            "2024-03-12 13:47:29",
            "2024-03-12 13:47:52",
            "2024-03-19 13:47:52",
            "19.90",
            "6.00",
            "0.00",
            "蜂蜡香薰蜡烛",
            1,
            "湖北省",
            "武汉市",
            "洪山区",
            "珞喻路1037号",
            "李杰",
            "13800138008",
            "阿杰",
            "否",
            "13800138008",
        ),
        row(
            "E20240313235901012300009",
            "已发货",
            "2024-03-13 23:59:01",
            "2024-03-13 23:59:30",
            "",
            "97.80",
            "0.00",
            "0.00",
            "手工陶瓷马克杯 雾绿色 两只装；蜂蜡香薰蜡烛 三只装",
            2,
            "福建省",
            "厦门市",
            "思明区",
            "湖滨南路90号",
            "吴风",
            "13800138009",
            "风",
            "否",
            "13800138009",
        ),
    ]
    out = HERE / "youzan" / "orders" / "youzan_orders_export_20240315.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(YOUZAN_HEADER)
    writer.writerows(rows)
    out.write_bytes(buf.getvalue().encode("utf-8-sig"))


if __name__ == "__main__":
    shopify_orders()
    shopify_customers()
    woocommerce_orders()
    taobao_orders()
    taobao_monthly()
    taobao_items()
    pinduoduo_orders()
    jd_orders()
    youzan_orders()
