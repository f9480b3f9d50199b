/* Intrusive doubly linked lists of slots through their `list` links (one list per state). */
#include "internal/pool.h"

void bpi_list_push_back(bp_pool *pool, bpi_list *list, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    s->list_next = BPI_NIL;
    s->list_prev = list->tail;
    if (list->tail != BPI_NIL) pool->slots[list->tail].list_next = index;
    else list->head = index;
    list->tail = index;
}

void bpi_list_remove(bp_pool *pool, bpi_list *list, uint32_t index) {
    bpi_slot *s = &pool->slots[index];
    if (s->list_prev != BPI_NIL) pool->slots[s->list_prev].list_next = s->list_next;
    else list->head = s->list_next;
    if (s->list_next != BPI_NIL) pool->slots[s->list_next].list_prev = s->list_prev;
    else list->tail = s->list_prev;
    s->list_prev = s->list_next = BPI_NIL;
}
