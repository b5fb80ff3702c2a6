package org.robustlab.config;

import java.util.List;
import org.springframework.data.domain.Page;

/**
 * One page of a listing, in a shape that does not change with Spring Data's versions.
 *
 * @param content the items, newest first
 * @param page this page's number, from 0
 * @param size the page size asked for
 * @param totalElements items in all pages
 * @param totalPages the number of pages
 */
public record PageView<T>(List<T> content, int page, int size, long totalElements, int totalPages) {

    public static <T> PageView<T> of(Page<T> p) {
        return new PageView<>(p.getContent(), p.getNumber(), p.getSize(), p.getTotalElements(), p.getTotalPages());
    }
}
