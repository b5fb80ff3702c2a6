package org.robustlab.dataset;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.Arrays;
import java.util.List;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.DatasetLocator;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/datasets")
@Tag(name = "Datasets", description = "What can be trained on here and now")
class DatasetController {

    private final DatasetCatalog catalog;

    DatasetController(DatasetCatalog catalog) {
        this.catalog = catalog;
    }

    /**
     * A dataset's availability: present, downloadable or missing, and where it is read from, named relative to
     * the configured data folder ({@code data-dir/...}) or as the system datasets (Debian's dataset packages).
     */
    record DatasetView(String id, String status, String folder, String detail, int classes, List<Integer> shape) {}

    @GetMapping
    @Operation(operationId = "listDatasets", summary = "Datasets: present, downloadable or missing, with the folder each is read from")
    List<DatasetView> list() {
        return Arrays.stream(DatasetId.values()).map(d -> {
            DatasetLocator.Availability a = catalog.availability(d);
            return new DatasetView(d.id(), a.status().name().toLowerCase(), catalog.describe(a.folder().toAbsolutePath().toString()),
                    catalog.describe(a.detail()), d.numClasses(), List.of(d.shape().channels(), d.shape().height(), d.shape().width()));
        }).toList();
    }
}
