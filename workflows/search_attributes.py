"""Custom search attributes operators use to find runs in the Temporal UI (SPEC §5)."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

ORDER_ID = SearchAttributeKey.for_keyword("OrderId")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
BASKET_ID = SearchAttributeKey.for_keyword("BasketId")
STORE_IDS = SearchAttributeKey.for_keyword_list("StoreIds")
ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")

ALL_SEARCH_ATTRIBUTES = (ORDER_ID, CUSTOMER_ID, BASKET_ID, STORE_IDS, ORDER_STATUS)
